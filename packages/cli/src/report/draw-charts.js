// Runs in the report page: draws one uPlot chart per ticker (close and MA7 lines on the price axis,
// volume bars on a second axis) from the JSON the page embeds. uPlot is inlined before it.
/* global uPlot */
(() => {
  const data = JSON.parse(document.getElementById("b3-report-data").textContent);
  const price = (v) => (v == null ? "–" : v.toFixed(2));
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat("en-US");
  // Dates are sessions (calendar days): shown in UTC, whatever the reader's time zone.
  const utc = (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
  const day = (ts) => new Date(ts * 1000).toISOString().slice(0, 10);
  const height = 320;
  // Away from the cursor the legend shows the newest session's values.
  const shown = (u, v, series, idx) => {
    if (idx != null) return v;
    const values = u.data[series];
    return values[values.length - 1];
  };
  const charts = [];

  /** A red band, one day wide, behind the series at each missing session. */
  function markGaps(u, gaps) {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = "rgba(220, 38, 38, 0.18)";
    for (const ts of gaps) {
      const left = u.valToPos(ts - 43200, "x", true);
      const right = u.valToPos(ts + 43200, "x", true);
      const width = Math.max(right - left, 2 * devicePixelRatio);
      ctx.fillRect((left + right - width) / 2, bbox.top, width, bbox.height);
    }
    ctx.restore();
  }

  for (const chart of data.charts) {
    const target = document.querySelector(`.chart[data-ticker="${CSS.escape(chart.ticker)}"]`);
    if (target === null) continue;
    target.textContent = "";
    const options = {
      width: target.clientWidth,
      height,
      tzDate: utc,
      cursor: { points: { size: 6 } },
      hooks: { drawClear: [(u) => markGaps(u, chart.gaps)] },
      scales: {
        x: { time: true },
        price: { auto: true },
        // Bars use the lower part of the chart: the top of the axis is 3.5 × the largest volume.
        volume: { range: (_u, _min, max) => [0, Math.max(1, max) * 3.5] },
      },
      series: [
        {
          label: "session",
          value: (u, ts, series, idx) => {
            const at = shown(u, ts, series, idx);
            return at == null ? "–" : day(at);
          },
        },
        {
          label: "volume",
          scale: "volume",
          stroke: "rgba(100, 116, 139, 0.9)",
          fill: "rgba(100, 116, 139, 0.35)",
          width: 0,
          paths: uPlot.paths.bars({ size: [0.7, 8] }),
          points: { show: false },
          value: (u, v, series, idx) => {
            const at = shown(u, v, series, idx);
            return at == null ? "–" : whole.format(at);
          },
        },
        {
          label: "close",
          scale: "price",
          stroke: "#2563eb",
          width: 1.75,
          value: (u, v, series, idx) => price(shown(u, v, series, idx)),
        },
        {
          label: "MA7 (media_movel_7d)",
          scale: "price",
          stroke: "#ea580c",
          width: 1.75,
          value: (u, v, series, idx) => price(shown(u, v, series, idx)),
        },
      ],
      axes: [
        { stroke: "#475569", grid: { stroke: "#e2e8f0" }, ticks: { stroke: "#cbd5e1" } },
        {
          scale: "price",
          label: "price",
          stroke: "#475569",
          grid: { stroke: "#e2e8f0" },
          ticks: { stroke: "#cbd5e1" },
          values: (_u, ticks) => ticks.map((v) => v.toFixed(2)),
          size: 60,
        },
        {
          scale: "volume",
          side: 1,
          label: "volume",
          stroke: "#64748b",
          grid: { show: false },
          ticks: { stroke: "#cbd5e1" },
          values: (_u, ticks) => ticks.map((v) => compact.format(v)),
          size: 60,
        },
      ],
    };
    charts.push({
      plot: new uPlot(options, [chart.x, chart.volume, chart.close, chart.ma7], target),
      target,
    });
  }

  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      for (const { plot, target } of charts) plot.setSize({ width: target.clientWidth, height });
    });
  });
  document.body.dataset.chartsDrawn = String(charts.length);
})();
