/**
 * Error codes of runtime/data (the BK51xx block of BK5xxx "files and data"). Every failure a user's file or data can
 * cause here is a BitkitError with one of these codes; the CLI maps them to exit code 2 (EXIT_BAD_INPUT).
 */
export const DataErrors = {
  /** A file could not be read (missing, unreadable). */
  fileUnreadable: 'BK5101',
  /** A vocab.txt is empty or lacks a required special token. */
  badVocab: 'BK5102',
  /** A tokenizer.json is not valid JSON or not a BERT WordPiece tokenizer. */
  badTokenizerJson: 'BK5103',
  /** Truncation cannot reach max_length (sequence too short for only_first/only_second, no second sequence, ...). */
  truncation: 'BK5104',
  /** A TSV header does not have the columns the task's GLUE layout needs. */
  badHeader: 'BK5105',
  /** A TSV row has the wrong number of tab-separated fields. */
  badColumnCount: 'BK5106',
  /** A label value is not one of the task's labels (or not a number for a regression task). */
  badLabel: 'BK5107',
  /** A data file has no examples. */
  emptyDataset: 'BK5108',
  /** An unknown task name. */
  unknownTask: 'BK5109',
  /** The embedded example dataset's package files are missing or malformed. */
  exampleDataset: 'BK5110',
  /** Batching / encoding arguments out of range (batch size, max length). */
  badArgument: 'BK5111',
} as const;
