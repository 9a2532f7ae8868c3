"use client";
/**
 * The result as a bar chart (Apache ECharts, loaded only on this page): one bar per released
 * group, every group, with its label on the axis and its value on the bar. Suppressed groups
 * are left out (they have no value to show); noisy values may be negative and are drawn so.
 */
import { useEffect, useRef } from "react";

export type Bar = { label: string; value: number };

export function ResultChart({ bars, title, digits, locale }: { bars: Bar[]; title: string; digits: number; locale: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let disposed = false;
    let chart: { dispose(): void; resize(): void } | null = null;
    const onResize = () => chart?.resize();
    void (async () => {
      const [core, charts, components, renderers] = await Promise.all([
        import("echarts/core"), import("echarts/charts"), import("echarts/components"), import("echarts/renderers"),
      ]);
      if (disposed || !box.current) return;
      core.use([charts.BarChart, components.GridComponent, components.TooltipComponent, components.TitleComponent, renderers.SVGRenderer]);
      const fmt = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
      const c = core.init(box.current, undefined, { renderer: "svg" });
      chart = c;
      c.setOption({
        animation: false,
        title: { text: title, textStyle: { fontSize: 13, fontWeight: 500 } },
        grid: { left: 8, right: 56, top: 32, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v: unknown) => fmt.format(Number(v)) },
        xAxis: { type: "value", axisLabel: { formatter: (v: number) => fmt.format(v) } },
        yAxis: { type: "category", inverse: true, data: bars.map((b) => b.label), axisLabel: { interval: 0, width: 160, overflow: "truncate" } },
        series: [{ type: "bar", data: bars.map((b) => b.value), itemStyle: { color: "#0f5f73" }, label: { show: true, position: "right", formatter: (p: { value: unknown }) => fmt.format(Number(p.value)) } }],
      });
      window.addEventListener("resize", onResize);
    })();
    return () => { disposed = true; window.removeEventListener("resize", onResize); chart?.dispose(); };
  }, [bars, title, digits, locale]);
  // Every group gets a row of its own: the chart grows with the result instead of cutting it off.
  return <div ref={box} role="img" aria-label={title} data-testid="result-chart" data-bars={bars.length} style={{ width: "100%", height: 48 + 22 * Math.max(1, bars.length) }} />;
}
