/**
 * The `mcpo` command line: the same engine the VS Code extension drives, headless.
 * Every subcommand has --help; errors are one clear line on stderr, never a stack trace.
 *
 * Each subcommand lives in its own module under cli/, loaded only when its name is typed: the
 * OpenAI client alone takes longer to load than Node takes to start, and `mcpo validate`,
 * `mcpo score` or `mcpo --help` need none of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { unknownOptionMessage, type Command, type OptionValues } from './cli/command';
import { fixesOf, isUserFacing, UsageError, UserError, userMessage } from './userError';
import { cliMessage } from './cli/fixText';

/** Every subcommand: its one-line summary (for `mcpo --help`) and how to load the rest. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  select: {
    summary: 'select MCPO fine-tuning data from ECInstruct (first N/2 train + first N/2 val rows)',
    load: async () => (await import('./cli/jobs.js')).select,
  },
  job: {
    summary: 'fine-tune / sweep / merge / quantize jobs on Slurm (slurmrestd) or locally',
    load: async () => (await import('./cli/jobs.js')).job,
  },
  score: {
    summary: 'score predictions exactly as the official ShopBench scorer does',
    load: async () => (await import('./cli/score.js')).score,
  },
  run: {
    summary:
      'run the MCPO pipeline over a dataset against OpenAI-compatible endpoints or a local GGUF model',
    load: async () => (await import('./cli/runCommands.js')).run,
  },
  report: {
    summary:
      'scores of one or more runs; with several, differences from the first with bootstrap CIs',
    load: async () => (await import('./cli/report.js')).report,
  },
  ablate: {
    summary: "run the paper's ablation matrix on one dataset and print its tables 1, 2 and 5",
    load: async () => (await import('./cli/runCommands.js')).ablate,
  },
  export: {
    summary: 'export the pipeline of a run (or a preset) as a ShopBench starter-kit submission',
    load: async () => (await import('./cli/export.js')).exportCommand,
  },
  validate: {
    summary: 'check a ShopBench dataset and list every problem with file:line:column',
    load: async () => (await import('./cli/validate.js')).validate,
  },
};

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `mcpo — MCPO Workbench command line\n\nUsage: mcpo <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "mcpo <command> --help" for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new UsageError(`mcpo: unknown command "${name}"\n\n${mainHelp()}`);
  const command = await entry.load();
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: command.positionals === true,
      strict: true,
    }) as {
      values: OptionValues;
      positionals: string[];
    });
  } catch (err) {
    const message = unknownOptionMessage((err as Error).message, command.options);
    throw new UsageError(`mcpo ${name}: ${message}\nusage: ${command.usage}`);
  }
  if (values.help) {
    process.stdout.write(`${entry.summary}\n\nUsage: ${command.usage}\n\n${command.help}\n`);
    return 0;
  }
  return command.run(values, positionals);
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/**
 * A bug's report: one line saying what happened and what to send, never a stack trace on the
 * terminal. The stack goes to a crash file (or to stderr with MCPO_DEBUG=1) for the report.
 */
export function internalErrorReport(err: unknown, argv = process.argv.slice(2)): string {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const stack = err instanceof Error ? (err.stack ?? what) : what;
  const details =
    `mcpo ${packageVersion()}, node ${process.version}, ${process.platform}-${process.arch}\n` +
    `command: mcpo ${argv.join(' ')}\n\n${stack}\n`;
  if (process.env.MCPO_DEBUG) return `mcpo: internal error: ${what}\n${details}`;
  let where: string;
  try {
    const file = path.join(os.tmpdir(), `mcpo-crash-${Date.now()}-${process.pid}.txt`);
    fs.writeFileSync(file, details);
    where = `attach ${file}`;
  } catch {
    where = 'run it again with MCPO_DEBUG=1 and attach what it prints';
  }
  return (
    `mcpo: internal error: ${what}\n` +
    `This is a bug in mcpo, not a problem with your input. Please report it to the MCPO Workbench ` +
    `maintainers with the command you ran and the crash report (${where}).\n`
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // Errors the user can act on print as one line, with their fixes as flags; anything else is
      // a bug and keeps its stack.
      if (isUserFacing(err)) {
        process.stderr.write(`${cliMessage(userMessage(err), fixesOf(err))}\n`);
        process.exitCode = err instanceof UserError ? err.exitCode : 1;
      } else {
        process.stderr.write(internalErrorReport(err));
        process.exitCode = 70;
      }
    },
  );
}
