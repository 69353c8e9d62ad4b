# Times R survey::rake on the benchmark data of package weighting
# (40,000 ballots, 4 margins): 200 separate rakes, and the issue's target,
# a 200-replicate bootstrap design raked (every replicate re-raked). Reports
# CPU time (user + system), because the machine may be shared; checks R's
# raked weights against Go's. Usage:
#   SIPAS_BENCH_OUT=/tmp/wb go test ./weighting -run 'TestWriteBenchData|TestBenchCPU' -v
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
margins <- list(~province, ~level, ~gender, ~age)
des <- svydesign(id = ~1, weights = ~w, data = d)
ctl <- list(maxit = 100, epsilon = 1e-10)
once <- function(x) rake(x, margins, pops, control = ctl)
cpu <- function(expr) { t <- system.time(expr); unname(t["user.self"] + t["sys.self"]) }
r <- once(des)
g <- scan(file.path(dir, "go_raked.csv"), quiet = TRUE)
cat(R.version.string, "survey", as.character(packageVersion("survey")), "\n")
cat("max relative difference Go vs R raked weights:", max(abs(weights(r) - g) / g), "\n")
cat("R CPU: rake once (40k x 4 margins):", cpu(once(des)), "s\n")
cat("R CPU: rake 200 times:", cpu(for (i in 1:200) once(des)), "s\n")
c2 <- cpu({
  set.seed(1)
  bdes <- as.svrepdesign(svydesign(id = ~psu, strata = ~province, weights = ~w, data = d),
                         type = "bootstrap", replicates = 200)
  rb <- once(bdes)
})
cat("R CPU: bootstrap(200) design + rake of every replicate:", c2, "s\n")
