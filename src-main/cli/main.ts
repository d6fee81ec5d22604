// The `steplab` command line. Exit codes: 0 ok, 1 a user error (one line on stderr), 2 an internal error.
import { Command, CommanderError } from 'commander';
import { ApiError } from '../../src-shared/api';
import { UserError, asUserFacing, printable } from '../core/errors';
import { debugEnabled, internalErrorLine } from '../core/log';
import { defaultIO, type CliIO } from './common';
import { addCycleCommands } from './cycle';
import { addEndpointCommands } from './endpoints';
import { addRewardCommands } from './reward';
import { addBenchCommands } from './bench';
import { addManageCommands } from './manage';
import { addCatalogCommands } from './catalog';
import { addDataCommands } from './data';
import { addLabelImportCommands } from './labels';
import { addSearchCommands } from './search';
import { addServeCommands } from './serve';
import { addWorkspaceCommands } from './workspaces';

export type { CliIO };

export function buildProgram(io: CliIO = defaultIO): Command {
  const program = new Command('steplab')
    .description('Steplab: step-level supervision workbench for multimodal math reasoning')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  addDataCommands(program, io);
  addLabelImportCommands(program, io);
  addWorkspaceCommands(program, io);
  addSearchCommands(program, io);
  const models = addCatalogCommands(program, io);
  addServeCommands(program, io);
  addRewardCommands(program, io);
  addEndpointCommands(program, models, io);
  addCycleCommands(program, io);
  addBenchCommands(program, io);
  addManageCommands(program, io);
  return program;
}

/**
 * Runs the CLI; returns the exit code: 0 ok, 1 a user error (one line: bad input, a read-only or damaged
 * workspace, a full disk), 2 an internal error (one line naming the log file with its trace). `--debug`
 * anywhere in argv (or STEPLAB_DEBUG=1) prints traces to stderr as well.
 */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (head.includes('--debug')) {
    process.env.STEPLAB_DEBUG = '1';
    argv = [...head.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
  }
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      return raw.exitCode === 0 ? 0 : 1;
    }
    const e = asUserFacing(raw);
    if (e instanceof UserError || (e instanceof ApiError && e.code !== 'internal')) {
      if (debugEnabled() && e.stack) process.stderr.write(`${e.stack}\n`);
      io.err(`error: ${printable(e.message)}`);
      return 1;
    }
    io.err(printable(internalErrorLine(raw, `steplab ${argv.join(' ')}`)));
    return 2;
  }
}
