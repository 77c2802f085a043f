// The e2e fixture page as the browser benches drive it: opening one, and a raw RTCDataChannel between
// two of them (the baseline a browser→browser transfer is compared with).
import type { Browser, Page } from 'playwright-core'

/** The raw data channel calls of the fixture's `window.bench`. */
export interface RawChannelCalls {
  rtcOffer(): Promise<RTCSessionDescriptionInit>
  rtcAnswer(o: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit>
  rtcAccept(a: RTCSessionDescriptionInit): Promise<void>
  rtcWaitOpen(): Promise<void>
  /** Receives `total` bytes; resolves with the wall-clock time the last one arrived. */
  rtcReceive(total: number): Promise<number>
  /** Sends `total` bytes; resolves with the wall-clock time it started. */
  rtcSend(total: number): Promise<number>
}
type W = Window & { bench: RawChannelCalls }

/** Opens the fixture at `baseUrl` in a new browser context and waits until the page says it is ready. */
export async function openFixturePage(browser: Browser, baseUrl: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await page.goto(`${baseUrl}/index.html`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
  return page
}

/** Connects a raw RTCDataChannel from page `a` to page `b` and waits until it is open on `b`. */
export async function openRawDataChannel(a: Page, b: Page): Promise<void> {
  const offer = await a.evaluate(() => (window as unknown as W).bench.rtcOffer())
  const answer = await b.evaluate((o) => (window as unknown as W).bench.rtcAnswer(o), offer)
  await a.evaluate((x) => (window as unknown as W).bench.rtcAccept(x), answer)
  await b.evaluate(() => (window as unknown as W).bench.rtcWaitOpen())
}
