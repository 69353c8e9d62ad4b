# Golden file for sipas estimate under the replicate variances of a linear
# calibration that needs every row (estimate --weighting with numeric
# calibration variables and --variance jkn or jk1, streamed or in memory):
# R survey's as.svrepdesign() of the design (mse = TRUE), then the
# weighting of the replicate design (postStratify() or rake() first in
# some cases, then calibrate(), which re-runs every step on every
# replicate's weights), then svymean, svytotal and svyratio nationally and
# svyby() of the same by a domain column, with their replicate SEs.
#
# The data are testdata/calopts/apistrat.csv and apiclus1.csv with the
# columns the Go tests add (index/sums_estcal_test.go, estcalFixture):
# hi = (api00 > 700), holes = api00 with NA at the rows i (1-based) with
# (i - 1) mod 11 = 3, size = "big" when enroll > 500 else "small".
# The cases (the Go test spells the same weighting specifications):
#   apistrat, JKn (strata stype, PSUs snum, fpc) and JK1 (PSUs snum), by size:
#     margins_numeric  calibrate(~stype + enroll), linear
#     ratio_variance   calibrate(~enroll - 1, variance = enroll)
#     ps_margins       postStratify(~size) then calibrate(~stype + enroll)
#     rake_numeric     rake(~size, ~stype) then calibrate(~enroll - 1)
#   apiclus1, JK1 (PSUs dnum; without and with the fpc), by stype:
#     clus1_numeric    calibrate(~enroll) (an intercept and enroll)
# Run from the root: Rscript testdata/calrep_estimate.R. Writes
# testdata/calrep_estimate/estimates.csv (sprintf("%.17g")) and versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/calrep_estimate"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
prep <- function(file) {
  d <- read.csv(file.path("testdata", "calopts", file), stringsAsFactors = FALSE)
  d$hi <- as.numeric(d$api00 > 700)
  d$holes <- d$api00
  d$holes[(seq_len(nrow(d)) - 1) %% 11 == 3] <- NA
  d$size <- ifelse(d$enroll > 500, "big", "small")
  d
}
st <- prep("apistrat.csv")
cl <- prep("apiclus1.csv")
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
pop.size <- data.frame(size = c("big", "small"), Freq = c(2900, 3294))
pop.stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
cal <- function(des, f, p, ...) calibrate(des, f, p, maxit = 200, epsilon = 1e-13, ...)
stdes <- list(
  jkn = as.svrepdesign(svydesign(id = ~snum, strata = ~stype, fpc = ~fpc, weights = ~pw, data = st), type = "JKn", mse = TRUE),
  jk1 = as.svrepdesign(svydesign(id = ~snum, weights = ~pw, data = st), type = "JK1", mse = TRUE))
cldes <- list(
  jk1 = as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = cl), type = "JK1", mse = TRUE),
  jk1fpc = as.svrepdesign(svydesign(id = ~dnum, fpc = ~fpc, weights = ~pw, data = cl), type = "JK1", mse = TRUE))
cases <- list(
  margins_numeric = list(des = stdes, by = "size", w = function(d) cal(d, ~stype + enroll, pop)),
  ratio_variance = list(des = stdes, by = "size",
                        w = function(d) cal(d, ~enroll - 1, pop["enroll"], variance = st$enroll)),
  ps_margins = list(des = stdes, by = "size",
                    w = function(d) cal(postStratify(d, ~size, pop.size), ~stype + enroll, pop)),
  rake_numeric = list(des = stdes, by = "size",
                      w = function(d) cal(rake(d, list(~size, ~stype), list(pop.size, pop.stype),
                                               control = list(maxit = 1000, epsilon = 1e-14)),
                                          ~enroll - 1, pop["enroll"])),
  clus1_numeric = list(des = cldes, by = "stype", w = function(d) cal(d, ~enroll, pop[c(1, 4)])))
rows <- list()
add <- function(case, design, by, dom, stat, var, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, design = design, by = by, domain = dom, stat = stat,
                                          var = var, est = g17(est), se = g17(se))
}
for (cs in names(cases)) {
  cc <- cases[[cs]]
  for (dn in names(cc$des)) {
    des <- cc$w(cc$des[[dn]])
    if (any(weights(des, "analysis") < 0)) stop(cs, " ", dn, ": a negative replicate weight")
    byf <- as.formula(paste0("~", cc$by))
    ests <- list(
      list("mean", "api00", function(d) svymean(~api00, d), function(d) svyby(~api00, byf, d, svymean)),
      list("mean", "hi", function(d) svymean(~hi, d), function(d) svyby(~hi, byf, d, svymean)),
      list("mean", "holes", function(d) svymean(~holes, d, na.rm = TRUE),
           function(d) svyby(~holes, byf, d, svymean, na.rm = TRUE)),
      list("total", "enroll", function(d) svytotal(~enroll, d), function(d) svyby(~enroll, byf, d, svytotal)),
      list("total", "holes", function(d) svytotal(~holes, d, na.rm = TRUE),
           function(d) svyby(~holes, byf, d, svytotal, na.rm = TRUE)),
      list("ratio", "api00/enroll", function(d) svyratio(~api00, ~enroll, d),
           function(d) svyby(~api00, byf, d, denominator = ~enroll, svyratio)))
    for (e in ests) {
      r <- e[[3]](des)
      add(cs, dn, "", "", e[[1]], e[[2]], coef(r), SE(r))
      b <- e[[4]](des)
      add(cs, dn, cc$by, as.character(b[[cc$by]]), e[[1]], e[[2]], coef(b), SE(b))
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "estimates.csv"), row.names = FALSE)
