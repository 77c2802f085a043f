/** The e2e fixture page (`npm run build -w @stratos-edge/e2e`), served and loaded the way most tests do. */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

/** The built fixture page's directory, to serve with `serveStatic`. */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist')

/**
 * Loads the fixture served at `baseUrl` in `page`, writes the page's uncaught errors to stderr as
 * `[<label> pageerror] …`, and waits until the page says it is ready.
 */
export async function loadFixture(page: Page, baseUrl: string, label?: string): Promise<Page> {
  const tag = label ? `[${label} pageerror]` : '[pageerror]'
  page.on('pageerror', (err) => process.stderr.write(`${tag} ${err.message}\n`))
  await page.goto(`${baseUrl}/index.html`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
  return page
}
