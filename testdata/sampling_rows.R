# One-stage PPS systematic selection of a frame's rows (R sampling's
# inclusionprobabilities + UPsystematic on the rows of each stratum): the
# inclusion probabilities of every row of testdata/sampling/frame_small.csv
# with the size measure size = id mod 7 + 1, plus 300 for every 97th row (so
# that some rows are taken with certainty), n = 25 rows per province.
# Run from the repository root: Rscript testdata/sampling_rows.R
# It writes testdata/sampling/frame_rows_pik.csv (sprintf("%.17g")).
suppressPackageStartupMessages(library(sampling))
out <- "testdata/sampling"
frame <- read.csv(file.path(out, "frame_small.csv"), stringsAsFactors = FALSE)
frame$size <- frame$id %% 7 + 1 + 300 * (frame$id %% 97 == 0)
rows <- character()
for (p in sort(unique(frame$province))) {
  s <- frame[frame$province == p, ]
  pik <- inclusionprobabilities(s$size, 25)
  rows <- c(rows, sprintf("%s,%d,%s,%s", p, s$id, sprintf("%.17g", s$size), sprintf("%.17g", pik)))
}
writeLines(c("province,id,size,pik", rows), file.path(out, "frame_rows_pik.csv"))
writeLines(c(R.version.string, paste("sampling", packageVersion("sampling"))),
           file.path(out, "frame_rows_versions.txt"))
