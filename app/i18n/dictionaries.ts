/**
 * Every string the UI shows, in English and Chinese. `zh` must have exactly the keys of
 * `en` (the type enforces it, a unit test double-checks nothing is empty).
 */
export const en = {
  appName: "Quancheng Data Marketplace",
  tagline: "Data that is usable but invisible: computed results, consented envelopes, a verifiable ledger.",
  nav: { home: "Home", catalog: "Catalog", demands: "Demands", organisation: "Organisation", account: "Account", signIn: "Sign in", signUp: "Create account", signOut: "Sign out" },
  lang: { label: "Language", en: "English", zh: "中文" },
  roles: {
    HOLDER: "Data holder", DEVELOPER: "Product developer", OPERATOR: "Market operator", BUYER: "Buyer",
    SUBJECT: "Data subject", SUPERVISOR: "Supervisor", ADMIN: "Market admin",
  },
  memberRoles: { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member" },
  landing: {
    rules: "The four circulation rules",
    rule1: "Raw data never leaves its holder's domain.",
    rule2: "Group data is usable but invisible: buyers get computed results, never rows.",
    rule3: "Individual data only with the person's one-time consent, sealed in a digital envelope.",
    rule4: "Every step on a verifiable ledger; revenue split by contribution.",
    cta: "Sign in to the marketplace",
  },
  signIn: {
    title: "Sign in", email: "Email", password: "Password", submit: "Sign in", busy: "Signing in…",
    noAccount: "No account yet?", demoHint: "Demo accounts are printed by npm start; the password is shown there too.",
  },
  signUp: {
    title: "Create an account", name: "Your name", organisation: "Organisation (leave empty for a personal account)",
    requested: "Roles your organisation asks for (a market admin grants them)", submit: "Create account", busy: "Creating…",
    haveAccount: "Already have an account?", passwordHint: "At least 10 characters.",
  },
  shell: { switchOrg: "Acting for", personal: "personal", noRoles: "No market role yet" },
  home: {
    title: "{role} home", org: "Organisation", members: "Members", granted: "Role granted", grantedBy: "Reason",
    never: "not recorded",
    empty: {
      HOLDER: "No data resources registered yet. Registering a resource and starting its computation node will appear here.",
      DEVELOPER: "No data products yet. Products you build from holders' resources will appear here.",
      OPERATOR: "The review queue is empty. Products awaiting review and overdue demands will appear here.",
      BUYER: "No orders or queries yet. Products you buy and the results you decrypt will appear here.",
      SUBJECT: "Your digital safe box is empty. Records held about you, requests for them and your consents will appear here.",
      SUPERVISOR: "No events to supervise yet. The ledger's live feed and its proofs will appear here.",
      ADMIN: "Manage organisations and the market roles they hold.",
    },
    pending: "Your organisation has no market role yet. Requested: {roles}. A market admin will review the request.",
    chooseRole: "Choose what to do:",
  },
  refusal: {
    title: "Not available to your organisation",
    needsRole: "This page needs the {role} role. {org} holds: {held}.",
    none: "no market role",
    advice: "Switch to another organisation you belong to, or ask a market admin to grant the role.",
    signInFirst: "Sign in first.",
  },
  org: {
    title: "Organisation", members: "Members", name: "Name", email: "Email", role: "Role", since: "Since",
    invite: "Invite a member", inviteSubmit: "Send invitation", invited: "Invitation created for {email}. They accept it after signing in with that email.",
    pendingInvites: "Pending invitations", expires: "Expires", save: "Save", onlyAdmins: "Only owners and admins can invite or change roles.",
    roles: "Market roles",
  },
  account: {
    title: "Account", invitations: "Invitations for you", accept: "Accept", noInvitations: "No invitations waiting.",
    newOrg: "Found another organisation", newOrgName: "Name", newOrgNameZh: "Chinese name (optional)", create: "Create",
    memberships: "Your organisations",
  },
  admin: {
    title: "Organisations and roles", requested: "Requested", members: "Members", reason: "Reason for the change",
    save: "Save roles", saved: "Roles saved.", kind: "Kind",
  },
  catalog: {
    title: "Catalog", search: "Search resources and products", placeholder: "e.g. 医疗费用, housing fund, tax", kind: "Kind",
    resource: "Data resource", product: "Data product", domain: "Domain", sharing: "Sharing", cycle: "Update cycle", sort: "Order",
    relevance: "Relevance", newest: "Newest", used: "Most used", go: "Search", count: "{n} entries", none: "Nothing matches.",
    sharingClass: { UNCONDITIONAL: "Unconditional", CONDITIONAL: "Conditional", NOT_SHARED: "Not shared" },
    cycles: { REALTIME: "Real time", DAILY: "Daily", WEEKLY: "Weekly", MONTHLY: "Monthly", QUARTERLY: "Quarterly", YEARLY: "Yearly", ONCE: "Once" },
  },
  resources: {
    title: "Registered data resources", empty: "No resource registered yet.", name: "Name", certificate: "Certificate", version: "Version",
    fields: "Fields", emergency: "Emergency reclassification", retired: "retired", register: "Register a resource", description: "Description",
    fieldName: "field name", fieldType: "type", unit: "unit", sensitivity: "sensitivity", addField: "Add a field", dataset: "Dataset on the node",
    registered: "Registered. Certificate {no}.", retire: "Retire", retireConfirm: "Retire this resource for good? It leaves the catalog and cannot change again.",
    manage: "Manage registered resources", edit: "Edit (new version)", saveVersion: "Save as a new version", updated: "Saved as version {v}.",
    reclassify: "Emergency reclassification", reclassifyTo: "Share as", reclassifyReason: "Reason (kept on record)", reclassifyEnds: "Until",
    reclassifyDo: "Reclassify until then", reclassified: "Reclassified until {until}.", until: "until {until}",
    sensitivityLevel: { PUBLIC: "public", INTERNAL: "internal", SENSITIVE: "sensitive", PERSONAL: "personal" },
  },
  products: {
    mine: "Your products", none: "No product yet.", build: "Build a product from resources", slug: "Address (slug)", resources: "Resources (same fields, one or more holders)",
    policy: "Query policy (JSON)", policyJson: "The policy is not valid JSON", create: "Create draft", pricePerQuery: "Price per query (¥)",
    developerShare: "Developer %", operatorShare: "Operator fee %", holdersShare: "Holders %", licence: "Licence terms", purposes: "Allowed purposes (comma-separated)",
    saveTerms: "Save terms", saved: "Terms saved.", submit: "Submit for review", queue: "Products awaiting review", queueEmpty: "Nothing awaits review.",
    approve: "Approve", reject: "Reject", rejectReason: "Reason (required to reject)", overdue: "Overdue demands", overdueNone: "No demand is overdue.",
    status: { DRAFT: "draft", SUBMITTED: "in review", REJECTED: "rejected", LISTED: "listed", PAUSED: "paused" },
    pause: "Pause", resume: "Resume", listed: "Listed products", listedNone: "No product is listed.", pauseReason: "Reason (kept, shown to the developer)",
  },
  productPage: {
    developer: "Developer", holders: "Data holders", price: "Price", cohort: "Minimum cohort", groups: "groups", privacy: "Privacy",
    query: "query", buyer: "buyer", noDp: "no differential-privacy noise", fields: "Fields and what may be asked", dimension: "dimension",
    groupable: "can group by", measure: "measure, declared range", shape: "Shape of a result",
    shapeNote: "One row per group of the dimensions you group by; groups under the minimum cohort are suppressed. No row of anyone's data is ever shown.",
  },
  figures: {
    resources: "Active resources", pendingApprovals: "Approvals waiting", queriesServed: "Queries served", earnings: "Earnings",
    afterSettlement: "shown once settlement runs", activeOrders: "Active orders", queries: "Queries answered", spend: "Accrued per-query charges",
  },
  demands: {
    title: "Demands", post: "Post a demand", mine: "Your demands", matched: "Demands matched to what you offer", none: "None yet.",
    need: "What you need", fields: "Fields wanted (comma-separated)", budget: "Budget (¥)", deadline: "Deadline", confirmed: "Confirmed", published: "Published",
    posted: "Posted: {matches} matching entries, {notified} owners notified. Confirmation due by {by}.",
    offer: "Your answer (what you can provide, how)", respond: "Answer", offered: "Answered",
    close: "Close", closeNote: "Note to those who answered (optional)", closed: "Closed", open: "Open", state: "State",
  },
  orders: {
    title: "Orders", place: "Order a product", mine: "Your orders", none: "No orders yet.", purpose: "Purpose", usage: "Queries used",
    cancel: "Cancel", placed: "Order placed: {status}.", price: "Price: ¥{price} ({model})",
    models: { PER_QUERY: "per query", SUBSCRIPTION: "subscription", ONE_OFF: "one-off" },
    status: { PENDING_APPROVAL: "waiting for the holders' approval", ACTIVE: "active", REFUSED: "refused", CANCELLED: "cancelled" },
  },
  approvals: { title: "Requests to approve", none: "No request waits for your approval.", due: "Answer by", approve: "Approve", refuse: "Refuse", reason: "Reason (required to refuse)" },
  nodes: {
    title: "Computation nodes", empty: "No computation node registered yet.", name: "Node", url: "Reached at", key: "Signing key",
    lastSeen: "Last served", never: "not yet", register: "Register a node", agreement: "Agreement key",
    howto: "A node runs in your own domain next to your data: npm run node -- --config node.json. Raw rows and per-holder subtotals never leave it.",
  },
  query: {
    consoleTitle: "Encrypted query console", consoleIntro: "Ask aggregate questions of products across holders' nodes. Results are encrypted to a key made in your browser; only you can read them.",
    open: "Open the query console", keys: "Your HE key", generateKeys: "Generate a key pair", generating: "Generating…",
    keyReady: "Key pair ready (made {date}). The secret key stays in this browser.",
    keyNote: "Generate a key pair first. The secret key is made in this browser and never sent; export it to keep a copy.",
    exportKey: "Export key", importKey: "Import key", product: "Product", groupBy: "Group by", measures: "Measures", filters: "Filters",
    all: "(all)", epsilon: "Privacy budget ε for this query", run: "Run encrypted query", results: "Results", none: "No query yet.",
    noProducts: "No product is listed for querying yet.", decryptFailed: "Could not decrypt the result:",
    status: { QUEUED: "queued", RUNNING: "running", SUCCEEDED: "done", FAILED: "failed" },
    spent: "ε spent: {e}", left: "ε left: {e} of {total}", summary: "{groups} groups, {hidden} suppressed (fewer than the minimum cohort).",
    suppressed: "suppressed: below the minimum cohort", count: "count", recent: "Recent queries", when: "Asked", state: "Status", chart: "Chart of the first measure by group", total: "total",
  },
  errors: {
    generic: "Something went wrong. Try again.",
    WRONG_CREDENTIALS: "Wrong email or password.",
    EMAIL_TAKEN: "An account with this email already exists. Sign in instead.",
    ALREADY_MEMBER: "That person is already a member.",
    OWNER_ONLY: "Only an owner can do this.",
    LAST_OWNER: "An organisation needs at least one owner: make someone else owner first.",
    LAST_ADMIN: "This is the only market admin organisation: grant the admin role to another first.",
    INVITATION_EXPIRED: "This invitation has expired: ask for a new one.",
    INVITATION_USED: "This invitation was already accepted.",
    INVITATION_NOT_FOUND: "No such invitation is addressed to you.",
    BUDGET_EXHAUSTED: "Not enough privacy budget left for this query.",
  },
};

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type Dictionary = Shape<typeof en>;

export const zh: Dictionary = {
  appName: "泉城数据要素市场",
  tagline: "数据可用不可见：交付计算结果、经授权的数字信封，每一步都上可验证的账本。",
  nav: { home: "首页", catalog: "数据目录", demands: "需求", organisation: "机构", account: "账户", signIn: "登录", signUp: "注册", signOut: "退出登录" },
  lang: { label: "语言", en: "English", zh: "中文" },
  roles: {
    HOLDER: "数据持有方", DEVELOPER: "数据产品开发方", OPERATOR: "市场运营方", BUYER: "数据使用方",
    SUBJECT: "数据主体", SUPERVISOR: "监管方", ADMIN: "市场管理员",
  },
  memberRoles: { OWNER: "所有者", ADMIN: "管理员", MEMBER: "成员" },
  landing: {
    rules: "数据流通四项规则",
    rule1: "原始数据资源不出域。",
    rule2: "群体数据可用不可见：使用方只获得计算结果，绝不获得明细数据。",
    rule3: "个体数据精准授权：经本人一次性授权，以数字信封交付。",
    rule4: "每一步记录在可验证的账本上；收益按贡献分配。",
    cta: "登录数据市场",
  },
  signIn: {
    title: "登录", email: "电子邮箱", password: "密码", submit: "登录", busy: "正在登录…",
    noAccount: "还没有账户？", demoHint: "演示账户由 npm start 打印，密码也在那里。",
  },
  signUp: {
    title: "注册账户", name: "姓名", organisation: "机构名称（个人账户请留空）",
    requested: "机构申请的角色（由市场管理员审核授予）", submit: "注册", busy: "正在注册…",
    haveAccount: "已有账户？", passwordHint: "至少 10 个字符。",
  },
  shell: { switchOrg: "当前机构", personal: "个人", noRoles: "尚无市场角色" },
  home: {
    title: "{role}首页", org: "机构", members: "成员数", granted: "角色授予时间", grantedBy: "授予理由",
    never: "无记录",
    empty: {
      HOLDER: "尚未登记数据资源。登记资源并启动计算节点后，将显示在这里。",
      DEVELOPER: "尚无数据产品。基于持有方资源开发的产品将显示在这里。",
      OPERATOR: "审核队列为空。待审核的产品和逾期的需求将显示在这里。",
      BUYER: "尚无订单或查询。购买的产品和解密的结果将显示在这里。",
      SUBJECT: "您的数字保险箱为空。各部门持有的您的数据、对这些数据的请求和您的授权将显示在这里。",
      SUPERVISOR: "尚无需要监管的事件。账本的实时动态及其证明将显示在这里。",
      ADMIN: "管理机构及其市场角色。",
    },
    pending: "您的机构尚无市场角色。已申请：{roles}。市场管理员将审核该申请。",
    chooseRole: "请选择要进行的工作：",
  },
  refusal: {
    title: "您的机构无权访问此页面",
    needsRole: "此页面需要“{role}”角色。{org}拥有的角色：{held}。",
    none: "无市场角色",
    advice: "请切换到您所属的其他机构，或请市场管理员授予该角色。",
    signInFirst: "请先登录。",
  },
  org: {
    title: "机构", members: "成员", name: "姓名", email: "电子邮箱", role: "角色", since: "加入时间",
    invite: "邀请成员", inviteSubmit: "发送邀请", invited: "已为 {email} 创建邀请，对方用该邮箱登录后即可接受。",
    pendingInvites: "待接受的邀请", expires: "过期时间", save: "保存", onlyAdmins: "只有所有者和管理员可以邀请成员或修改角色。",
    roles: "市场角色",
  },
  account: {
    title: "账户", invitations: "给您的邀请", accept: "接受", noInvitations: "没有待处理的邀请。",
    newOrg: "创建新机构", newOrgName: "名称", newOrgNameZh: "中文名称（可选）", create: "创建",
    memberships: "您所属的机构",
  },
  admin: {
    title: "机构与角色", requested: "已申请", members: "成员数", reason: "变更理由",
    save: "保存角色", saved: "角色已保存。", kind: "类型",
  },
  catalog: {
    title: "数据目录", search: "搜索数据资源和数据产品", placeholder: "例如：医疗费用、公积金、tax", kind: "类型",
    resource: "数据资源", product: "数据产品", domain: "领域", sharing: "共享类型", cycle: "更新周期", sort: "排序",
    relevance: "相关度", newest: "最新", used: "最常用", go: "搜索", count: "共 {n} 条", none: "没有匹配的条目。",
    sharingClass: { UNCONDITIONAL: "无条件共享", CONDITIONAL: "有条件共享", NOT_SHARED: "不予共享" },
    cycles: { REALTIME: "实时", DAILY: "每日", WEEKLY: "每周", MONTHLY: "每月", QUARTERLY: "每季度", YEARLY: "每年", ONCE: "一次性" },
  },
  resources: {
    title: "已登记的数据资源", empty: "尚未登记数据资源。", name: "名称", certificate: "登记证书", version: "版本",
    fields: "字段", emergency: "应急调整共享类型", retired: "已注销", register: "登记数据资源", description: "说明",
    fieldName: "字段名", fieldType: "类型", unit: "单位", sensitivity: "敏感级别", addField: "添加字段", dataset: "节点上的数据集",
    registered: "已登记。证书编号 {no}。", retire: "注销", retireConfirm: "确定永久注销此资源？它将从目录中移除且不可再修改。",
    manage: "管理已登记的资源", edit: "修改（生成新版本）", saveVersion: "保存为新版本", updated: "已保存为第 {v} 版。",
    reclassify: "应急调整共享类型", reclassifyTo: "调整为", reclassifyReason: "理由（将被记录）", reclassifyEnds: "截止",
    reclassifyDo: "临时调整至截止日", reclassified: "已临时调整，至 {until}。", until: "至 {until}",
    sensitivityLevel: { PUBLIC: "公开", INTERNAL: "内部", SENSITIVE: "敏感", PERSONAL: "个人信息" },
  },
  products: {
    mine: "您的数据产品", none: "尚无数据产品。", build: "基于数据资源开发产品", slug: "地址标识", resources: "数据资源（字段相同，可来自多个持有方）",
    policy: "查询策略（JSON）", policyJson: "策略不是有效的 JSON", create: "创建草稿", pricePerQuery: "每次查询价格（元）",
    developerShare: "开发方 %", operatorShare: "运营方服务费 %", holdersShare: "持有方 %", licence: "许可条款", purposes: "允许的用途（逗号分隔）",
    saveTerms: "保存条款", saved: "条款已保存。", submit: "提交审核", queue: "待审核的产品", queueEmpty: "没有待审核的产品。",
    approve: "批准上架", reject: "驳回", rejectReason: "理由（驳回时必填）", overdue: "逾期的需求", overdueNone: "没有逾期的需求。",
    status: { DRAFT: "草稿", SUBMITTED: "审核中", REJECTED: "已驳回", LISTED: "已上架", PAUSED: "已暂停" },
    pause: "暂停", resume: "恢复", listed: "已上架的产品", listedNone: "没有已上架的产品。", pauseReason: "理由（将被记录并告知开发方）",
  },
  productPage: {
    developer: "开发方", holders: "数据持有方", price: "价格", cohort: "最小群体规模", groups: "组", privacy: "隐私保护",
    query: "次", buyer: "使用方", noDp: "不加差分隐私噪声", fields: "字段及可查询内容", dimension: "维度",
    groupable: "可分组", measure: "指标，声明范围", shape: "结果的形态",
    shapeNote: "按所选维度每组一行；少于最小群体规模的组将被隐藏。任何人的明细数据都不会显示。",
  },
  figures: {
    resources: "在用资源", pendingApprovals: "待审批", queriesServed: "已服务的查询", earnings: "收益",
    afterSettlement: "结算上线后显示", activeOrders: "生效订单", queries: "已完成的查询", spend: "按次计费累计",
  },
  demands: {
    title: "需求", post: "发布需求", mine: "您的需求", matched: "与您的资源或产品匹配的需求", none: "暂无。",
    need: "需求名称", fields: "所需字段（逗号分隔）", budget: "预算（元）", deadline: "截止日期", confirmed: "已确认", published: "已发布服务",
    posted: "已发布：匹配 {matches} 个条目，已通知 {notified} 个机构。应在 {by} 前确认。",
    offer: "您的答复（可提供什么、如何提供）", respond: "答复", offered: "已答复",
    close: "关闭", closeNote: "给答复方的说明（可选）", closed: "已关闭", open: "进行中", state: "状态",
  },
  orders: {
    title: "订单", place: "订购数据产品", mine: "您的订单", none: "尚无订单。", purpose: "用途", usage: "已用查询次数",
    cancel: "取消", placed: "已下单：{status}。", price: "价格：¥{price}（{model}）",
    models: { PER_QUERY: "按次", SUBSCRIPTION: "订阅", ONE_OFF: "一次性" },
    status: { PENDING_APPROVAL: "等待持有方审批", ACTIVE: "生效", REFUSED: "已拒绝", CANCELLED: "已取消" },
  },
  approvals: { title: "待审批的申请", none: "没有等待您审批的申请。", due: "答复期限", approve: "批准", refuse: "拒绝", reason: "理由（拒绝时必填）" },
  nodes: {
    title: "计算节点", empty: "尚未登记计算节点。", name: "节点", url: "访问地址", key: "签名公钥",
    lastSeen: "最近服务", never: "尚无", register: "登记节点", agreement: "密钥协商公钥",
    howto: "计算节点运行在您自己的域内、紧邻您的数据：npm run node -- --config node.json。原始数据和单方小计绝不离开。",
  },
  query: {
    consoleTitle: "密态查询控制台", consoleIntro: "对跨多个持有方计算节点的数据产品发起聚合查询。结果以您浏览器中生成的密钥加密，只有您能解读。",
    open: "打开查询控制台", keys: "您的同态加密密钥", generateKeys: "生成密钥对", generating: "正在生成…",
    keyReady: "密钥对已就绪（生成于 {date}）。私钥只保存在本浏览器中。",
    keyNote: "请先生成密钥对。私钥在本浏览器中生成，绝不上传；可导出保存副本。",
    exportKey: "导出密钥", importKey: "导入密钥", product: "数据产品", groupBy: "分组", measures: "指标", filters: "筛选",
    all: "（全部）", epsilon: "本次查询的隐私预算 ε", run: "执行密态查询", results: "结果", none: "尚未查询。",
    noProducts: "暂无可查询的数据产品。", decryptFailed: "无法解密结果：",
    status: { QUEUED: "排队中", RUNNING: "计算中", SUCCEEDED: "已完成", FAILED: "失败" },
    spent: "已用 ε：{e}", left: "剩余 ε：{e} / {total}", summary: "共 {groups} 组，其中 {hidden} 组因少于最小群体规模而隐藏。",
    suppressed: "已隐藏：低于最小群体规模", count: "数量", recent: "最近的查询", when: "提交时间", state: "状态", chart: "按分组显示第一个指标的图表", total: "合计",
  },
  errors: {
    generic: "出现错误，请重试。",
    WRONG_CREDENTIALS: "邮箱或密码错误。",
    EMAIL_TAKEN: "该邮箱已注册，请直接登录。",
    ALREADY_MEMBER: "此人已是成员。",
    OWNER_ONLY: "只有所有者可以执行此操作。",
    LAST_OWNER: "机构至少需要一名所有者：请先指定其他所有者。",
    LAST_ADMIN: "这是唯一的市场管理机构：请先将管理员角色授予其他机构。",
    INVITATION_EXPIRED: "邀请已过期，请重新邀请。",
    INVITATION_USED: "该邀请已被接受。",
    INVITATION_NOT_FOUND: "没有发给您的此邀请。",
    BUDGET_EXHAUSTED: "剩余隐私预算不足以执行此查询。",
  },
};

export const locales = ["zh", "en"] as const;
export type Locale = (typeof locales)[number];
export const dictionaries: Record<Locale, Dictionary> = { en, zh };

/** Fill "{name}" placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? `{${k}}`));
}
