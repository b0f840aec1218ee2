/**
 * The table of `ml-intern` subcommands. A capability adds its command by
 * adding a file in this folder and one line here.
 */
import { CliCommand } from '../command';
import { versionCommand } from './version';

export const COMMANDS: CliCommand[] = [
  versionCommand,
];
