# The shared part of the golden scripts of calibration chains on apistrat
# (calpre.R, calchain.R, calchain2.R), sourced by each from the repository
# root after it sets out, its output folder: g17 (17 significant digits),
# the folder and its versions.txt (R and survey versions), and
# write_chain_goldens(cases), which runs every case (a function returning
# the weighted design) and writes out/weights.csv (every row's final
# weight) and out/estimates.csv (svymean and svytotal of api00 and enroll,
# and their svymean by sch.wide, with SEs).
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
