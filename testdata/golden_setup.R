# The shared part of the golden scripts run from the repository root
# (calpre.R, calchain.R, calchain2.R, calrep_estimate.R,
# calrep_aggregate.R), sourced by each after it sets out, its output
# folder: g17 (17 significant digits), the folder and its versions.txt (R
# and survey versions);
# write_chain_goldens(cases), which runs every case (a function returning
# the weighted design) and writes out/weights.csv (every row's final
# weight) and out/estimates.csv (svymean and svytotal of api00 and enroll,
# and their svymean by sch.wide, with SEs); and
# estimand_rows(case, design, des, by), the rows of the estimands of the
# estimate goldens on des: means of api00, hi and holes (na.rm), totals of
# enroll and holes, the ratio api00/enroll, nationally and by the column
# by (svyby).
suppressPackageStartupMessages(library(survey))
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
write_chain_goldens <- function(cases) {
  wrows <- list(); erows <- list()
  for (key in names(cases)) {
    cd <- cases[[key]]()
    wrows[[key]] <- data.frame(case = key, row = seq_len(nrow(cd$variables)), weight = g17(weights(cd)))
    for (v in c("api00", "enroll")) {
      m <- svymean(as.formula(paste0("~", v)), cd)
      t <- svytotal(as.formula(paste0("~", v)), cd)
      r <- svyby(as.formula(paste0("~", v)), ~sch.wide, cd, svymean)
      erows[[length(erows) + 1]] <- data.frame(case = key, stat = c("mean", "total", "mean", "mean"), var = v,
        domain = c("", "", paste0("sch.wide=", r$sch.wide)),
        est = g17(c(coef(m), coef(t), coef(r))), se = g17(c(SE(m), SE(t), SE(r))))
    }
  }
  write.csv(do.call(rbind, wrows), file.path(out, "weights.csv"), row.names = FALSE)
  write.csv(do.call(rbind, erows), file.path(out, "estimates.csv"), row.names = FALSE)
}
estimand_rows <- function(case, design, des, by) {
  byf <- as.formula(paste0("~", by))
  rows <- list()
  add <- function(by, dom, stat, var, est, se) {
    rows[[length(rows) + 1]] <<- data.frame(case = case, design = design, by = by, domain = dom, stat = stat,
                                            var = var, est = g17(est), se = g17(se))
  }
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
    add("", "", e[[1]], e[[2]], coef(r), SE(r))
    b <- e[[4]](des)
    add(by, as.character(b[[by]]), e[[1]], e[[2]], coef(b), SE(b))
  }
  rows
}
