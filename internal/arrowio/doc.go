// Package arrowio reads and writes tables as Apache Arrow record batches:
// CSV, Parquet and Arrow IPC (file and stream), chosen by file extension.
package arrowio

import (
	_ "github.com/apache/arrow-go/v18/arrow/csv"
	_ "github.com/apache/arrow-go/v18/arrow/ipc"
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
)
