/**
 * The table of `ml-intern` subcommands. A capability adds its command by
 * adding a file in this folder and one line here.
 */
import { CliCommand } from '../command';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { recipeCommand } from './recipe';
import { estimateCommand } from './estimate';
import { versionCommand } from './version';
import { inspectDataCommand } from './inspectData';
import { envCommand } from './env';
import { validateCommand } from './validate';
import { diagnoseCommand } from './diagnose';
import { fineTuneCommand } from './fineTune';
import { execCommand } from './exec';
import { preflightCommand } from './preflight';
import { rewardTestCommand } from './rewardTest';
import { tryItCommand } from './tryIt';
import { exportCommand } from './export';

export const COMMANDS: CliCommand[] = [
  fineTuneCommand,
  runCommand,
  runsCommand,
  versionCommand,
  inspectDataCommand,
  envCommand,
  validateCommand,
  diagnoseCommand,
  recipeCommand,
  estimateCommand,
  preflightCommand,
  rewardTestCommand,
  tryItCommand,
  exportCommand,
  execCommand,
];
