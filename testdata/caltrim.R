# Oracle for trimming inside calibration (R survey calibrate(trim = )): the
# weights and the linearized SEs on the api data (testdata/api, written by
# testdata/estimation.R). Run from the root: Rscript testdata/caltrim.R.
# Writes testdata/caltrim/{weights,estimates}.csv (sprintf("%.17g")) and
# versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/caltrim"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
pop.cal <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
wrows <- list(); erows <- list()
for (nm in c("apistrat", "apiclus1")) {
  d <- read.csv(file.path("testdata/api", paste0(nm, ".csv")))
  des <- if (nm == "apistrat") svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc) else
    svydesign(id = ~dnum, weights = ~pw, data = d, fpc = ~fpc)
  for (tr in list(c(0.9, 1.1), c(0.7, 1.5))) {
    key <- paste0(nm, "_", tr[1], "_", tr[2])
    # raking: R ignores trim for unbounded linear calibration (regcalibrate)
    cd <- calibrate(des, ~stype + enroll, pop.cal, calfun = "raking", maxit = 200, epsilon = 1e-13, trim = tr)
    wrows[[key]] <- data.frame(case = key, row = seq_len(nrow(d)), weight = g17(weights(cd)))
    for (v in c("api00", "enroll")) {
      m <- svymean(as.formula(paste0("~", v)), cd, na.rm = TRUE)
      t <- svytotal(as.formula(paste0("~", v)), cd, na.rm = TRUE)
      erows[[length(erows) + 1]] <- data.frame(case = key, stat = c("mean", "total"), var = v,
        est = g17(c(coef(m), coef(t))), se = g17(c(SE(m), SE(t))))
    }
  }
}
write.csv(do.call(rbind, wrows), file.path(out, "weights.csv"), row.names = FALSE)
write.csv(do.call(rbind, erows), file.path(out, "estimates.csv"), row.names = FALSE)
