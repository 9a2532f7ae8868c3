/**
 * The reason codes the server throws (`new AppError(code, reason, message)`, server/errors.ts)
 * and those the holders' computation nodes refuse with (computation/node/server.ts, passed on
 * by server/nodes/call.ts as the AppError's reason), in both languages. Generic sentences: the
 * server's English message carries the details (names, numbers). reasons.test.ts keeps this
 * table in step with the code: every reason thrown has an entry, and every entry is thrown.
 */
export const reasons: Record<string, { en: string; zh: string }> = {
  AGGREGATE_NOT_ALLOWED: {
    en: "This aggregation is not allowed on this column.",
    zh: "该字段不允许使用此聚合方式。",
  },
  ALREADY_DECIDED: {
    en: "This request has already been decided.",
    zh: "该申请已作出决定，不能重复处理。",
  },
  ALREADY_LIFTED: {
    en: "This suspension has already been lifted.",
    zh: "该暂停措施已解除。",
  },
  ALREADY_MEMBER: {
    en: "That person is already a member of this organisation.",
    zh: "此人已是本机构成员。",
  },
  ALREADY_OFFERED: {
    en: "Your organisation has already responded to this demand.",
    zh: "贵机构已答复过该需求。",
  },
  ALREADY_REFUNDED: {
    en: "This query has already been refunded.",
    zh: "该查询已退款。",
  },
  ALREADY_SERVED: {
    en: "The computation node has already served this step for this query.",
    zh: "计算节点已为该查询提供过此步骤，不再重复提供。",
  },
  ALREADY_SETTLED: {
    en: "This period has already been settled: every payout of it is paid.",
    zh: "该期间已结算完毕：所有款项均已支付。",
  },
  ALREADY_SUSPENDED: {
    en: "This is already suspended.",
    zh: "该对象已处于暂停状态。",
  },
  AMOUNT_MISMATCH: {
    en: "The amount reported by the payment provider does not match the payment: nothing was posted.",
    zh: "支付渠道报告的金额与该笔付款不符，未予记账。",
  },
  APPROVAL_NOT_FOUND: {
    en: "No approval of your organisation is requested for this order.",
    zh: "该订单没有需要贵机构审批的申请。",
  },
  AUDIT_NOT_FOUND: {
    en: "No such audit that you may see.",
    zh: "未找到您有权查看的该审计。",
  },
  AWAITING_APPROVAL: {
    en: "Your order is waiting for the data holders' approval.",
    zh: "您的订单正在等待数据持有方审批。",
  },
  AWAITING_CONSENT: {
    en: "The person has not answered the request yet.",
    zh: "数据主体尚未答复该申请。",
  },
  AWAITING_PAYMENT: {
    en: "Your order is approved but not paid yet.",
    zh: "您的订单已获批准，但尚未付款。",
  },
  BACKUP_EXISTS: {
    en: "The backup folder already exists and is not empty: choose a new folder.",
    zh: "备份目录已存在且不为空：请另选一个目录。",
  },
  BACKUP_FAILED: {
    en: "The database could not be backed up: see the message for the tool's error.",
    zh: "无法备份数据库：详见消息中的工具错误。",
  },
  BACKUP_KEY_DIFFERS: {
    en: "A key file differs from the backup's copy: move it away, or restore with --force.",
    zh: "某个密钥文件与备份中的副本不同：请先移走，或使用 --force 恢复。",
  },
  BAD_ACTIVATION: {
    en: "The activation code does not match one this data holder issued for this person, or it has already been used.",
    zh: "激活码与该数据持有方为本人签发的激活码不符，或已被使用。",
  },
  BAD_BACKUP: {
    en: "This is not a complete, unchanged backup: a file is missing or does not match its hash.",
    zh: "这不是完整且未被改动的备份：缺少文件或文件与哈希不符。",
  },
  BAD_BUYER_SIGNATURE: {
    en: "The data user's signature on this query does not verify.",
    zh: "数据使用方对该查询的签名验证未通过。",
  },
  BAD_CONSENT: {
    en: "The consent is malformed, or was given for another request or data holder.",
    zh: "授权格式不正确，或该授权针对的是其他申请或数据持有方。",
  },
  BAD_CURRENCY: {
    en: "This is not a valid currency code.",
    zh: "币种代码无效。",
  },
  BAD_DATABASE_URL: {
    en: "DATABASE_URL must start with postgres://, postgresql:// or pglite:; leave it unset to use the embedded database.",
    zh: "DATABASE_URL 必须以 postgres://、postgresql:// 或 pglite: 开头；如需使用内置数据库，请勿设置该变量。",
  },
  BAD_ENROLMENT: {
    en: "The enrolment code does not match one this computation node issued, or it has already been used.",
    zh: "登记码与该计算节点签发的登记码不符，或已被使用。",
  },
  BAD_ENVELOPE: {
    en: "The digital envelope returned by the computation node does not match this request.",
    zh: "计算节点返回的数字信封与该申请不符。",
  },
  BAD_ENVELOPE_KEY: {
    en: "This digital envelope key is not a usable public key: register the public key only.",
    zh: "该数字信封密钥不是可用的公钥：请只登记公钥。",
  },
  BAD_FILTER_VALUE: {
    en: "A filter value does not suit its column.",
    zh: "筛选值不符合该字段的要求。",
  },
  BAD_INDEX: {
    en: "This ledger entry is not in a tree of that size.",
    zh: "该账本记录不在指定规模的树中。",
  },
  BAD_KEY: {
    en: "The key is not a usable public key.",
    zh: "该密钥不是可用的公钥。",
  },
  BAD_NODE_ANSWER: {
    en: "The computation node answered something unexpected.",
    zh: "计算节点返回了无法识别的应答。",
  },
  BAD_NODE_SIGNATURE: {
    en: "The answer is not signed by the computation node's registered key.",
    zh: "该应答没有计算节点登记密钥的签名。",
  },
  BAD_PERIOD: {
    en: "A period is a month, such as 2026-11.",
    zh: "期间应为月份，例如 2026-11。",
  },
  BAD_PLAN: {
    en: "The query plan declares bounds for a column it does not aggregate.",
    zh: "查询计划为未参与聚合的字段声明了取值范围。",
  },
  BAD_POLICY: {
    en: "The query policy is not valid.",
    zh: "查询策略无效。",
  },
  BAD_PUBLIC_KEY: {
    en: "The homomorphic encryption public key is not usable.",
    zh: "同态加密公钥不可用。",
  },
  BAD_RANGE: {
    en: "The requested range of ledger entries is not valid.",
    zh: "请求的账本记录范围无效。",
  },
  BAD_REQUEST: {
    en: "The request is malformed or does not fit this step.",
    zh: "请求格式不正确，或不符合当前步骤。",
  },
  BAD_SIGNATURE: {
    en: "The signature does not verify: sign again.",
    zh: "签名验证未通过：请重新签名。",
  },
  BAD_SIGNING_KEY: {
    en: "The key is not a P-256 public signing key (a private key is never accepted).",
    zh: "该密钥不是 P-256 签名公钥（不接受私钥）。",
  },
  BAD_STATEMENT: {
    en: "The records request is not yours, or not addressed to this data holder.",
    zh: "该记录查询请求不属于您，或并非发给该数据持有方。",
  },
  BAD_STORED_PLAN: {
    en: "This query's stored plan is damaged; it cannot be run or shown. Please tell the market operator.",
    zh: "该查询保存的计划已损坏，无法运行或显示。请告知市场运营方。",
  },
  BAD_TOKEN: {
    en: "This API token is not valid: it is unknown, revoked or expired.",
    zh: "此 API 令牌无效：未知、已撤销或已过期。",
  },
  BAD_TREE_SIZE: {
    en: "No ledger tree of the requested size exists.",
    zh: "不存在所请求规模的账本树。",
  },
  BAD_VALIDITY: {
    en: "The request's validity window is not acceptable.",
    zh: "请求的有效期不可接受。",
  },
  BAD_WITNESS_CONFIG: {
    en: "LEDGER_WITNESSES is not a list of \"<witness vkey>=<URL>\" entries.",
    zh: "LEDGER_WITNESSES 不是由 “<见证者公钥>=<URL>” 组成的列表。",
  },
  BOUNDS_NOT_ALLOWED: {
    en: "The query plan's bounds exceed those the data holder declared.",
    zh: "查询计划的取值范围超出数据持有方声明的范围。",
  },
  BUDGET_EXHAUSTED: {
    en: "Not enough privacy budget (ε) is left for this query.",
    zh: "剩余隐私预算（ε）不足以执行此查询。",
  },
  BUYER_SUSPENDED: {
    en: "Your organisation is suspended by the supervisor: this is not possible until the suspension is lifted.",
    zh: "贵机构已被监管方暂停：在暂停解除前无法执行此操作。",
  },
  CANNOT_PROVE: {
    en: "The computation node cannot prove this: its data does not satisfy the circuit.",
    zh: "计算节点无法完成证明：其数据不满足电路约束。",
  },
  CHECKPOINT_STALE: {
    en: "The ledger checkpoint is more than five minutes old.",
    zh: "账本检查点已签发超过五分钟，已过时。",
  },
  CLOCK_SKEW: {
    en: "The computation node's clock and the marketplace's disagree by more than is tolerated: synchronise them (NTP).",
    zh: "计算节点与平台的时钟偏差超出允许范围：请同步时钟（NTP）。",
  },
  CONSENT_EXPIRED: {
    en: "This consent, or the request for it, has expired.",
    zh: "该授权或授权申请已过期。",
  },
  CONSENT_MISMATCH: {
    en: "The signed consent does not match this request (data user, key, fields, purpose, expiry or number of uses).",
    zh: "签署的授权与该申请不符（数据使用方、密钥、字段、用途、有效期或使用次数）。",
  },
  CONSENT_NOT_SIGNED: {
    en: "An approval is your consent statement signed with your key: sign it first.",
    zh: "同意须以您的密钥签署授权声明：请先签署。",
  },
  CONSENT_REFUSED: {
    en: "The person refused this request.",
    zh: "数据主体拒绝了该申请。",
  },
  CONSENT_REVOKED: {
    en: "The person withdrew this consent.",
    zh: "数据主体已撤回该授权。",
  },
  CONSENT_SPENT: {
    en: "This consent has been used up: ask the person again.",
    zh: "该授权已用完：请重新向本人申请。",
  },
  CURRENCY_MISMATCH: {
    en: "The currency reported by the payment provider does not match the payment: nothing was posted.",
    zh: "支付渠道报告的币种与该笔付款不符，未予记账。",
  },
  DATABASE_EXISTS: {
    en: "The target already holds a database: restore into an empty one, or use --force.",
    zh: "目标位置已有数据库：请恢复到空数据库，或使用 --force。",
  },
  DATABASE_IN_USE: {
    en: "The embedded database is already open in another process: stop it, or set DATABASE_URL to a PostgreSQL server.",
    zh: "内置数据库已被另一进程打开：请停止该进程，或将 DATABASE_URL 设为 PostgreSQL 服务器。",
  },
  DATABASE_UNREACHABLE: {
    en: "The database server cannot be reached: check that it is running and that DATABASE_URL is right.",
    zh: "无法连接数据库服务器：请确认其正在运行且 DATABASE_URL 正确。",
  },
  DATA_CHANGED: {
    en: "The data changed since the computation node committed to it: the query can no longer be proven.",
    zh: "计算节点作出数据承诺后数据已发生变化：该查询已无法证明。",
  },
  DEADLINE_PASSED: {
    en: "The deadline must be in the future.",
    zh: "截止日期必须晚于当前时间。",
  },
  DEMAND_CLOSED: {
    en: "This demand is closed: it no longer takes responses.",
    zh: "该需求已关闭，不再接受答复。",
  },
  DEMAND_NOT_FOUND: {
    en: "No such demand.",
    zh: "未找到该需求。",
  },
  DIMENSION_NOT_ALLOWED: {
    en: "The data holder does not allow grouping by this column, or by these categories or buckets, at its computation node.",
    zh: "数据持有方不允许在其计算节点上按该字段或这些类别、分段进行分组。",
  },
  DP_REQUIRED: {
    en: "The data holder requires differential privacy on this dataset.",
    zh: "数据持有方要求对该数据集采用差分隐私。",
  },
  DUPLICATE_GROUP_BY: {
    en: "A column appears twice in the grouping.",
    zh: "分组中有重复的字段。",
  },
  DUPLICATE_NODE: {
    en: "Each computation node may serve only one dataset of a product.",
    zh: "每个计算节点只能为同一数据产品提供一个数据集。",
  },
  EMAIL_TAKEN: {
    en: "An account with this email already exists. Sign in instead.",
    zh: "该邮箱已注册，请直接登录。",
  },
  EMPTY_ENTRY: {
    en: "A journal entry needs at least one posting.",
    zh: "记账凭证至少需要一条分录。",
  },
  END_IN_PAST: {
    en: "The temporary change of sharing class must end in the future.",
    zh: "应急调整共享类型的截止时间必须晚于当前时间。",
  },
  EPSILON_TOO_LARGE: {
    en: "The query's ε is above the allowed maximum.",
    zh: "本次查询的 ε 超过允许的上限。",
  },
  EPSILON_TOO_SMALL: {
    en: "The query's ε is below the allowed minimum.",
    zh: "本次查询的 ε 低于允许的下限。",
  },
  EXPIRED: {
    en: "The request has expired.",
    zh: "请求已过期。",
  },
  FIELD_MISSING: {
    en: "A data resource lacks a field the product needs.",
    zh: "数据资源缺少该数据产品所需的字段。",
  },
  FIELD_NOT_IN_RESOURCE: {
    en: "Some requested fields are not fields of this data resource.",
    zh: "所申请的部分字段不属于该数据资源。",
  },
  FILTER_NOT_ALLOWED: {
    en: "This filter is not allowed on this column.",
    zh: "该字段不允许使用此筛选条件。",
  },
  IDEMPOTENCY_MISMATCH: {
    en: "This idempotency key was already used for another entry.",
    zh: "该幂等键已用于另一笔记账。",
  },
  IDENTITY_NOT_VERIFIED: {
    en: "Your identity is not verified: no data holder knows you yet.",
    zh: "您的身份尚未核验：目前没有数据持有方能识别您。",
  },
  ILLEGAL_TRANSITION: {
    en: "This action is not possible in the current state.",
    zh: "当前状态下无法执行此操作。",
  },
  INTERNAL: {
    en: "The computation node failed to compute this request.",
    zh: "计算节点处理该请求时出错。",
  },
  INVITATION_EXPIRED: {
    en: "This invitation has expired: ask for a new one.",
    zh: "该邀请已过期，请索取新的邀请。",
  },
  INVITATION_NOT_FOUND: {
    en: "No such invitation is addressed to you.",
    zh: "未找到发给您的该邀请。",
  },
  INVITATION_USED: {
    en: "This invitation was already accepted.",
    zh: "该邀请已被接受。",
  },
  KEY_NOT_FOUND: {
    en: "No current signing key of your organisation has this thumbprint.",
    zh: "贵机构没有指纹相符的当前签名密钥。",
  },
  KEY_NOT_LINKED: {
    en: "This signature is not by a key you linked at this data holder: link your key first.",
    zh: "签名所用的密钥未在该数据持有方关联：请先关联您的密钥。",
  },
  KEY_RETIRED: {
    en: "The digital envelope key this consent names was retired: ask the person again.",
    zh: "该授权指定的数字信封密钥已停用：请重新向本人申请。",
  },
  KEY_TAKEN: {
    en: "This key is registered by another organisation.",
    zh: "该密钥已由其他机构登记。",
  },
  LAST_ADMIN: {
    en: "This is the only market admin organisation: grant the admin role to another first.",
    zh: "这是唯一的市场管理机构：请先将管理员角色授予其他机构。",
  },
  LAST_OWNER: {
    en: "An organisation needs at least one owner: make someone else owner first.",
    zh: "机构至少需要一名所有者：请先指定其他所有者。",
  },
  LEDGER_ALARM: {
    en: "The computation node found the marketplace's ledger inconsistent and serves nothing until that is resolved.",
    zh: "计算节点发现市场账本前后不一致，在问题解决前不提供任何服务。",
  },
  LEDGER_DAMAGED: {
    en: "The ledger is damaged: a stored hash is missing.",
    zh: "账本已损坏：缺少已存储的哈希值。",
  },
  LEDGER_INCONSISTENT: {
    en: "The ledger's history does not match what the computation node witnessed before.",
    zh: "账本历史与计算节点此前见证的记录不一致。",
  },
  MEASURE_NOT_ALLOWED: {
    en: "The data holder does not allow this column to be aggregated at its computation node.",
    zh: "数据持有方不允许在其计算节点上对该字段进行聚合。",
  },
  MIGRATION_EDITED: {
    en: "A database migration was changed after it was applied: never edit an applied migration, add a new one.",
    zh: "数据库迁移在执行后被修改：切勿修改已执行的迁移，请新增迁移。",
  },
  MIGRATION_FAILED: {
    en: "A database migration failed or never finished.",
    zh: "数据库迁移失败或未完成。",
  },
  MIGRATION_UNKNOWN: {
    en: "The database has migrations this code does not know: is the code older than the database?",
    zh: "数据库中存在本程序未知的迁移：程序版本是否比数据库旧？",
  },
  NODE_KEY_TAKEN: {
    en: "Another computation node is registered with this signing key.",
    zh: "已有其他计算节点以该签名密钥登记。",
  },
  NODE_NOT_FOUND: {
    en: "No such active computation node.",
    zh: "未找到该启用中的计算节点。",
  },
  NODE_NOT_YOURS: {
    en: "The computation node must be one your organisation registered.",
    zh: "计算节点必须是贵机构登记的节点。",
  },
  NODE_REFUSED: {
    en: "The data holder's computation node refused the request.",
    zh: "数据持有方的计算节点拒绝了该请求。",
  },
  NODE_UNAVAILABLE: {
    en: "The computation node is not available.",
    zh: "计算节点不可用。",
  },
  NODE_UNREACHABLE: {
    en: "The data holder's computation node did not answer.",
    zh: "数据持有方的计算节点未响应。",
  },
  NOISE_TOO_SMALL: {
    en: "The query plan's noise is below what its ε, bounds and rows per person require.",
    zh: "查询计划的噪声低于其 ε、取值范围和每人行数所要求的水平。",
  },
  NOTHING_TO_AUDIT: {
    en: "This query has no computation node contributions recorded, so there is nothing to audit.",
    zh: "此查询没有记录任何计算节点的贡献，无可审计。",
  },
  NOT_AUTHORISED: {
    en: "The query carries no valid authorisation signed by the data user.",
    zh: "该查询缺少数据使用方签署的有效授权。",
  },
  NOT_A_MEMBER: {
    en: "That person is not a member of this organisation.",
    zh: "此人不是本机构成员。",
  },
  NOT_CHARGED: {
    en: "This query was never charged: there is nothing to refund.",
    zh: "该查询未曾收费，无需退款。",
  },
  NOT_EDITABLE: {
    en: "Only drafts and rejected products can be edited: pause and copy a listed one instead.",
    zh: "只有草稿和已驳回的数据产品可以修改：已上架的产品请先暂停再复制。",
  },
  NOT_FOUND: {
    en: "The computation node has no such endpoint.",
    zh: "计算节点没有该接口。",
  },
  NOT_GROUPABLE: {
    en: "This column may not be grouped by.",
    zh: "该字段不可用于分组。",
  },
  NOT_MINOR_UNITS: {
    en: "Amounts must be whole minor currency units.",
    zh: "金额须为最小货币单位的整数。",
  },
  NOT_ON_LEDGER: {
    en: "The ledger does not prove that this query was accepted as the data user signed it.",
    zh: "账本无法证明该查询已按数据使用方签署的内容受理。",
  },
  NOT_PAYABLE: {
    en: "This order cannot be paid now (it may already be paid).",
    zh: "该订单当前无法付款（可能已付款）。",
  },
  NOT_PROVABLE: {
    en: "The computation node cannot prove this query.",
    zh: "计算节点无法为该查询提供证明。",
  },
  NOT_RELEASED: {
    en: "These are not the groups the computation node released.",
    zh: "这些并非计算节点发布的分组。",
  },
  NOT_REVOCABLE: {
    en: "Only a consent given and not yet used can be withdrawn.",
    zh: "只有已同意且尚未使用的授权才能撤回。",
  },
  NOT_SEALED_TO_THIS_NODE: {
    en: "The request is not sealed to this computation node's key, or was altered on the way.",
    zh: "该请求未用此计算节点的密钥加密封装，或在传输中被篡改。",
  },
  NOT_SHARED: {
    en: "A data resource involved is not shared at present.",
    zh: "所涉数据资源目前不予共享。",
  },
  NOT_SIGNED_BY_HOLDER: {
    en: "The change is not signed by a key of the computation node's data holder.",
    zh: "该变更没有该计算节点所属数据持有方的密钥签名。",
  },
  NOT_SIGNED_BY_PERSON: {
    en: "This is not signed by a key the person linked at the data holder's computation node.",
    zh: "该签名并非来自本人在数据持有方计算节点关联的密钥。",
  },
  NO_ACTIVE_ORDER: {
    en: "You have no active order of this product (it was refused or cancelled).",
    zh: "您没有该数据产品的生效订单（已被拒绝或取消）。",
  },
  NO_CIRCUIT: {
    en: "The computation node has no proof circuit for this kind of query.",
    zh: "计算节点没有适用于此类查询的证明电路。",
  },
  NO_ENVELOPE_KEY: {
    en: "The data user has no current digital envelope key: register one first, records are sealed to it.",
    zh: "数据使用方没有当前有效的数字信封密钥：请先登记，记录将封装给该密钥。",
  },
  NO_INVOICE: {
    en: "No paid order of your organisation has this id.",
    zh: "贵机构没有该编号的已付款订单。",
  },
  NO_LEDGER_KEY: {
    en: "No ledger key is configured: set LEDGER_SIGNING_KEY or restore the key file.",
    zh: "未配置账本密钥：请设置 LEDGER_SIGNING_KEY 或恢复密钥文件。",
  },
  NO_NODE: {
    en: "This data resource is not served by a computation node.",
    zh: "该数据资源没有计算节点提供服务。",
  },
  NO_OPERATOR: {
    en: "The market has no operator organisation to receive its fee.",
    zh: "市场没有接收服务费的市场运营方机构。",
  },
  NO_ORDER: {
    en: "Order this product before querying it.",
    zh: "请先订购该数据产品再查询。",
  },
  ORDER_EXPIRED: {
    en: "Your subscription has expired: order again.",
    zh: "您的订阅已到期：请重新订购。",
  },
  ORDER_IN_USE: {
    en: "This order has been used: it can no longer be cancelled.",
    zh: "该订单已使用，不能再取消。",
  },
  ORDER_NOT_FOUND: {
    en: "No such order of your organisation.",
    zh: "未找到贵机构的该订单。",
  },
  ORG_NOT_FOUND: {
    en: "No such organisation.",
    zh: "未找到该机构。",
  },
  ORG_SLUG_TAKEN: {
    en: "An organisation with this address already exists.",
    zh: "已有机构使用该地址标识。",
  },
  OWNER_ONLY: {
    en: "Only an owner can do this.",
    zh: "只有所有者可以执行此操作。",
  },
  OWN_DEMAND: {
    en: "You cannot respond to your own demand.",
    zh: "不能答复本机构发布的需求。",
  },
  PEERS_NOT_APPROVED: {
    en: "The query's sources are not those the data holder approved for this product.",
    zh: "该查询的数据源与数据持有方为该数据产品批准的数据源不一致。",
  },
  PERIOD_OPEN: {
    en: "This period has not ended yet: settle it once it has ended.",
    zh: "该期间尚未结束：请在期末之后结算。",
  },
  PLAN_CHANGED: {
    en: "The query plan or key is not the one that was signed and answered.",
    zh: "查询计划或密钥与已签署、已应答的不一致。",
  },
  PRIVACY_FLOOR: {
    en: "This is below the market's privacy floor.",
    zh: "低于市场规定的隐私保护下限。",
  },
  PRODUCT_CHANGED: {
    en: "The product changed meanwhile: reload and try again.",
    zh: "数据产品已发生变化：请刷新后重试。",
  },
  PRODUCT_NOT_APPROVED: {
    en: "The data holder has not approved this product at its computation node.",
    zh: "数据持有方尚未在其计算节点上批准该数据产品。",
  },
  PRODUCT_NOT_FOUND: {
    en: "No such product.",
    zh: "未找到该数据产品。",
  },
  PRODUCT_NOT_LISTED: {
    en: "This product is not listed: it cannot be ordered or queried now.",
    zh: "该数据产品未上架，目前无法订购或查询。",
  },
  PRODUCT_SUSPENDED: {
    en: "This product is suspended by the supervisor.",
    zh: "该数据产品已被监管方暂停。",
  },
  PURPOSE_NOT_ALLOWED: {
    en: "This purpose is not allowed for this product.",
    zh: "该数据产品不允许用于此用途。",
  },
  QUERY_ANSWERED: {
    en: "The computation node has already answered this query.",
    zh: "计算节点已应答过该查询。",
  },
  QUERY_ID_TAKEN: {
    en: "A query with this id already exists: sign a new one.",
    zh: "已存在相同编号的查询：请重新签署新的查询。",
  },
  QUERY_NOT_DELIVERED: {
    en: "Only a delivered query can be audited.",
    zh: "只有已交付的查询才能审计。",
  },
  QUERY_NOT_FOUND: {
    en: "No such query that you may see.",
    zh: "未找到您有权查看的该查询。",
  },
  QUOTA_EXHAUSTED: {
    en: "Your order's query quota is used up: order again.",
    zh: "订单的查询次数已用完：请重新订购。",
  },
  REASON_REQUIRED: {
    en: "A reason of at least 5 characters is required.",
    zh: "请填写理由（至少 5 个字符）。",
  },
  REFUND_FAILED: {
    en: "The order is cancelled, but its refund did not go through: the market operator will handle it.",
    zh: "订单已取消，但退款未成功：市场运营方将予以处理。",
  },
  REPLAYED: {
    en: "This request was already served.",
    zh: "该请求已处理过，不能重复提交。",
  },
  REQUESTER_SUSPENDED: {
    en: "The supervisor has suspended the organisation asking: it cannot receive your records now. You can refuse the request.",
    zh: "申请机构已被监管方暂停，目前无法接收您的记录。您可以拒绝该申请。",
  },
  REQUEST_NOT_FOUND: {
    en: "No such consent request.",
    zh: "未找到该授权申请。",
  },
  RESOURCE_CHANGED: {
    en: "The data resource changed meanwhile: reload and try again.",
    zh: "数据资源已发生变化：请刷新后重试。",
  },
  RESOURCE_NAME_TAKEN: {
    en: "Your organisation already registered a data resource with this name.",
    zh: "贵机构已登记同名的数据资源。",
  },
  RESOURCE_NOT_FOUND: {
    en: "No such data resource.",
    zh: "未找到该数据资源。",
  },
  RESOURCE_RETIRED: {
    en: "This data resource is retired: it can no longer be used or changed.",
    zh: "该数据资源已注销，不能再使用或修改。",
  },
  RESTORE_FAILED: {
    en: "The database could not be restored: see the message for the tool's error.",
    zh: "无法恢复数据库：详见消息中的工具错误。",
  },
  RESTORE_UNVERIFIED: {
    en: "The restored ledger does not verify against its signed checkpoints.",
    zh: "恢复后的账本无法通过其已签名检查点的验证。",
  },
  ROLE_NOT_HELD: {
    en: "A token can only use roles the organisation holds.",
    zh: "令牌只能使用本机构拥有的角色。",
  },
  SAME_CLASS: {
    en: "The data resource already has this sharing class.",
    zh: "该数据资源已是此共享类型。",
  },
  SEAL_REQUIRED: {
    en: "Requests to this computation node must be sealed to its key.",
    zh: "发往该计算节点的请求必须用其密钥加密封装。",
  },
  SERVER_BUSY: {
    en: "The server is busy with too many sign-ins at once. Try again in a moment.",
    zh: "服务器正同时处理过多登录请求，请稍后重试。",
  },
  SOURCE_POLICY_REFUSES: {
    en: "A data holder's computation node would refuse this product under its policy.",
    zh: "按照数据持有方计算节点的策略，该数据产品将被拒绝。",
  },
  SOURCE_UNAVAILABLE: {
    en: "A data holder's computation node is not available.",
    zh: "数据持有方的计算节点不可用。",
  },
  STALE_POLICY: {
    en: "A policy change must carry a higher version than the current policy.",
    zh: "策略变更的版本号必须高于当前策略。",
  },
  SUBJECT_NOT_FOUND: {
    en: "This data holder keeps no record about this person.",
    zh: "该数据持有方没有本人的记录。",
  },
  SUSPENDED: {
    en: "The supervisor has suspended this: the data holder's computation node releases nothing for it.",
    zh: "监管方已暂停此项：数据持有方的计算节点不会为其释放任何数据。",
  },
  TERMS_INCOMPLETE: {
    en: "Set the pricing, revenue shares, licence and allowed purposes before submitting.",
    zh: "提交前请设置价格、收益分成、许可条款和允许的用途。",
  },
  TOKEN_NOT_FOUND: {
    en: "Your organisation has no such token.",
    zh: "贵机构没有此令牌。",
  },
  TOO_LARGE: {
    en: "The request is larger than the computation node accepts.",
    zh: "请求超出计算节点允许的大小。",
  },
  TOO_LONG: {
    en: "A temporary change of sharing class cannot last that long: change the registration instead.",
    zh: "应急调整共享类型的期限过长：请改为修改资源登记。",
  },
  TOO_MANY_ATTEMPTS: {
    en: "Too many wrong passwords for this account: wait a minute, then try again.",
    zh: "该账户密码错误次数过多：请等待一分钟后再试。",
  },
  TOO_MANY_GROUPS: {
    en: "The query has more groups than the policy allows.",
    zh: "查询的分组数超过策略允许的上限。",
  },
  TOO_MANY_REQUESTS: {
    en: "Too many requests. Wait a little and try again.",
    zh: "请求过于频繁，请稍候再试。",
  },
  UNBALANCED: {
    en: "A journal entry must balance.",
    zh: "记账凭证借贷必须平衡。",
  },
  UNKNOWN_COLUMN: {
    en: "The query names a column that does not exist.",
    zh: "查询中包含不存在的字段。",
  },
  UNKNOWN_DATASET: {
    en: "The computation node serves no dataset with this name.",
    zh: "计算节点没有该名称的数据集。",
  },
  UNKNOWN_KEY: {
    en: "No current digital envelope key of yours has this thumbprint.",
    zh: "您没有指纹相符的当前数字信封密钥。",
  },
  UNKNOWN_LEAF: {
    en: "No such ledger entry.",
    zh: "未找到该账本记录。",
  },
  UNKNOWN_PAYMENT: {
    en: "No such payment is recorded yet: the payment provider will deliver it again.",
    zh: "尚无该笔付款的记录：支付渠道将重新推送。",
  },
  UNKNOWN_QUERY: {
    en: "The computation node answered no such query recently.",
    zh: "计算节点近期没有应答过该查询。",
  },
  UNKNOWN_SIGNING_KEY: {
    en: "This signing key is not a current key of your organisation: register it first.",
    zh: "该签名密钥不是贵机构当前登记的密钥：请先登记。",
  },
  UNKNOWN_SUBJECT: {
    en: "No person with this identifier uses the marketplace: they cannot be asked.",
    zh: "没有使用该标识的数据主体在本市场注册，无法向其申请。",
  },
  UNKNOWN_SUSPENSION: {
    en: "No such suspension.",
    zh: "未找到该暂停措施。",
  },
  UNKNOWN_TARGET: {
    en: "No such organisation or product.",
    zh: "未找到该机构或数据产品。",
  },
  UNSIGNED: {
    en: "Requests to the computation node must be signed by the marketplace.",
    zh: "发往计算节点的请求必须由市场签名。",
  },
  WITNESS_BEHIND: {
    en: "The computation node has witnessed more ledger entries than this checkpoint shows.",
    zh: "计算节点见证的账本记录多于该检查点所示。",
  },
  WITNESS_FROM: {
    en: "The computation node needs a consistency proof from the ledger size it last witnessed.",
    zh: "计算节点需要从其上次见证的账本规模起的一致性证明。",
  },
  WRONG_CREDENTIALS: {
    en: "Wrong email or password.",
    zh: "邮箱或密码错误。",
  },
  WRONG_KEY: {
    en: "The consent names another digital envelope key of the data user.",
    zh: "该授权指定的是数据使用方的另一把数字信封密钥。",
  },
  WRONG_NODE: {
    en: "This request is addressed to another computation node.",
    zh: "该请求是发给其他计算节点的。",
  },
};

/** The reason's text in the reader's language, or null when the code is unknown (show the server's message then). */
export function reasonText(reason: string | null | undefined, locale: "en" | "zh"): string | null {
  if (!reason || !Object.hasOwn(reasons, reason)) return null;
  return reasons[reason]![locale];
}
