export * from './types';
export { runPythonHelper, pythonHelpersDir, defaultPython, PythonHelperError } from './runHelper';
export type { RunHelperOptions, HelperFailureKind } from './runHelper';
export { inspectData, envReport, validateScript } from './helpers';
