/** The log pipeline's public surface. */
export { LogPipeline } from './pipeline';
export type { LogPipelineOptions, LogPipelineStats, MetricKind } from './pipeline';
export { MetricsJsonlWriter, metricLine } from './metricsWriter';
export type { MetricsTarget } from './metricsWriter';
export { RingBuffer } from './ringBuffer';
export { splitRank, stripAnsi } from './logLine';
export { parseTqdm } from './progress';
export { buildFailureObservation, buildFailureObservationFromFile } from './observation';
export type { FailureObservationInput } from './observation';
