import { CliCommand, EXIT_OK } from '../command';
import { VERSION } from '../../core/version';

export const versionCommand: CliCommand = {
  name: 'version',
  summary: 'Print the version',
  usage: 'ml-intern version [--json]',
  async run(args, io) {
    io.out(args.flags.json ? JSON.stringify({ version: VERSION }) + '\n' : `ml-intern ${VERSION}\n`);
    return EXIT_OK;
  },
};
