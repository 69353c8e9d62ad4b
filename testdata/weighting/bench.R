# Times R survey::rake on the benchmark data of package weighting
# (40,000 ballots, 4 margins) 200 times, and checks R's raked weights
# against Go's. Usage:
#   SIPAS_BENCH_OUT=/tmp/wb go test ./weighting -run TestWriteBenchData
#   Rscript testdata/weighting/bench.R /tmp/wb
suppressMessages(library(survey))
dir <- commandArgs(TRUE)[1]
d <- read.csv(file.path(dir, "ballots.csv"), stringsAsFactors = TRUE)
tot <- read.csv(file.path(dir, "totals.csv"))
pm <- function(m, v) {
  x <- tot[tot$margin == m, ]
  df <- data.frame(x$category, x$total); names(df) <- c(v, "Freq"); df
}
pops <- list(pm("P", "province"), pm("L", "level"), pm("G", "gender"), pm("A", "age"))
des <- svydesign(id = ~1, weights = ~w, data = d)
ctl <- list(maxit = 100, epsilon = 1e-10)
once <- function() rake(des, list(~province, ~level, ~gender, ~age), pops, control = ctl)
r <- once()
g <- scan(file.path(dir, "go_raked.csv"), quiet = TRUE)
cat(R.version.string, "survey", as.character(packageVersion("survey")), "\n")
cat("max relative difference Go vs R raked weights:", max(abs(weights(r) - g) / g), "\n")
t1 <- system.time(once())["elapsed"]
cat("R rake once (40k x 4 margins):", t1, "s\n")
t200 <- system.time(for (i in 1:200) once())["elapsed"]
cat("R rake 200 times:", t200, "s\n")
