/**
 * What `tributary topics describe` shows, whichever the source (the data directory's log or a
 * running broker over the Kafka protocol). Field names are the `--json` output.
 */
export interface TopicPartitionView {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** Bytes and segments on disk: known for the data directory, null over --bootstrap (a broker does not say per partition). */
  readonly sizeBytes: number | null;
  readonly segments: number | null;
}

export interface TopicView {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly TopicPartitionView[];
  /** The topic's config overrides (not the broker's defaults). */
  readonly config: Readonly<Record<string, string | number | boolean>>;
}
