/**
 * The Earnings chart: megabytes served and STOS earned per epoch, drawn by uPlot (small, maintained,
 * canvas), loaded only once there is something to chart (it is not in the page's first bundle). The
 * per-epoch table below it holds the same figures for assistive technology; the canvas has a text
 * summary as its label.
 */
import { html, LitElement, type PropertyValues } from 'lit'
import type uPlot from 'uplot'

/** uPlot and its stylesheet, loaded once. */
let loading: Promise<typeof uPlot> | undefined
function loadUPlot(): Promise<typeof uPlot> {
  loading ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default)
  return loading
}

const HEIGHT = 220

/** A tick of the STOS axis: first rewards can be far below 0.001 STOS, so small ones read `9e-16`. */
function stosTick(value: number): string {
  if (value === 0) return '0'
  return Math.abs(value) < 1e-3 ? value.toExponential(0) : String(Number(value.toPrecision(3)))
}

export class TrafficChart extends LitElement {
  static override properties = { columns: { attribute: false } }
  /** Epochs, megabytes served, STOS earned (see `chartColumns`). */
  declare columns: [number[], number[], number[]]
  private plot: uPlot | undefined
  private resize: ResizeObserver | undefined

  constructor() {
    super()
    this.columns = [[], [], []]
  }

  protected override createRenderRoot(): HTMLElement {
    return this
  }

  private summary(): string {
    const [epochs, mb, stos] = this.columns
    if (epochs.length === 0) return 'No epochs to chart yet.'
    const served = mb.reduce((a, b) => a + b, 0)
    const earned = stos.reduce((a, b) => a + b, 0)
    // Below what four decimals show, say so rather than "0.0000" (the table has the exact amounts).
    const earnedText = earned > 0 && earned < 1e-4 ? 'less than 0.0001' : earned.toFixed(4)
    return `Epochs ${epochs[0]} to ${epochs.at(-1)}: ${served.toFixed(1)} MB served, ${earnedText} STOS earned.`
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed)
    void this.draw()
  }

  private async draw(): Promise<void> {
    const target = this.querySelector<HTMLElement>('.chart-canvas')
    if (!target || this.columns[0].length === 0) {
      this.plot?.destroy()
      this.plot = undefined
      return
    }
    if (this.plot) {
      this.plot.setData(this.columns)
      return
    }
    const UPlot = await loadUPlot()
    if (this.plot || !this.isConnected) return
    this.plot = new UPlot(
      {
        width: Math.max(280, target.clientWidth),
        height: HEIGHT,
        scales: { x: { time: false }, stos: {} },
        axes: [
          // Epochs are whole numbers: ticks at steps of 1, 2, 5, 10…
          { label: 'Epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
          { label: 'MB served', scale: 'y' },
          {
            label: 'STOS',
            scale: 'stos',
            side: 1,
            grid: { show: false },
            values: (_u, ticks) => ticks.map(stosTick),
          },
        ],
        series: [
          { label: 'Epoch' },
          { label: 'MB served', scale: 'y', stroke: '#1f5fbf', width: 2 },
          { label: 'STOS earned', scale: 'stos', stroke: '#8a4b00', width: 2, dash: [6, 4] },
        ],
      },
      this.columns,
      target,
    )
    this.resize = new ResizeObserver(() =>
      this.plot?.setSize({ width: Math.max(280, target.clientWidth), height: HEIGHT }),
    )
    this.resize.observe(target)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.resize?.disconnect()
    this.plot?.destroy()
    this.plot = undefined
  }

  override render() {
    const summary = this.summary()
    return html`<figure class="chart" id="traffic-chart">
      <div class="chart-canvas" role="img" aria-label=${summary}></div>
      <figcaption class="muted">${summary}</figcaption>
    </figure>`
  }
}
customElements.define('traffic-chart', TrafficChart)
