/** Process entry of the bundled CLI (dist/cli.js): runs main() and sets the exit code. */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bitkit: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
