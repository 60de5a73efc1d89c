/** A text as an SQL string literal, for DuckDB and Spark alike: in single quotes, each quote doubled. */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
