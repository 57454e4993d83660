// One call per command for `--report FILE`: each takes what the command already computed.
export { writeSolveReport, writeGradientReport, writeFitReport } from "./model-reports.js";
export { writeAttackReport, type AttackReportInput, type PhotoReportInput } from "./attack-report.js";
export { writeTrainReport, type TrainReportInput } from "./train-report.js";
export { writeBlackBoxReport, type BlackBoxReportInput } from "./blackbox-report.js";
