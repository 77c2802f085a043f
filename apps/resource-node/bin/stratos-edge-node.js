#!/usr/bin/env node
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(
    `stratos-edge-node needs Node.js 22 or newer (this is ${process.version}). ` +
      'In the repository, run it through npm (npm run start -w @stratos-edge/resource-node), which uses Node 22.\n',
  )
  process.exit(1)
}
const { runCli } = await import('../dist/cli/cli.js')
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'fatal', error: String(err?.stack ?? err) })}\n`,
    )
    process.exit(1)
  },
)
