/**
 * Files: JSON Lines and CSV sources (optionally following a growing file) and sinks (optionally
 * rotating), exactly once. See docs/connectors.md.
 */
export { FileSource, type FileSourceOptions, type FileSourceStats, type FileSourceCommit } from './file-source.js';
export { FileSink, type FileSinkOptions, type FileSinkStats } from './file-sink.js';
export { RecordReader, HEADER, type FileEntry, type FileFormat, type ReaderOptions } from './record-reader.js';
export { parseCsvRecord, csvRecordEnd, formatCsvField, formatCsvRecord, type CsvOptions } from './csv.js';
export { JsonRecordWriter, deadLetterRecord } from './json-records.js';
export { SourcePositions, SOURCE_POSITIONS_TOPIC } from './source-positions.js';
export { BadLineError, FileConnectorError } from './errors.js';
