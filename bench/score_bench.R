# Helper for bench/score_bench.py: time psych::scoreFast on the benchmark matrix.
#
# Usage: Rscript bench/score_bench.R DATA.bin N_ROWS OUT.bin REPS [COUNTS_OUT.bin]
#
# DATA.bin holds N_ROWS x 36 little-endian doubles in column-major order (NaN = missing),
# items q1..q36, every 3rd item reverse-keyed; subscales alpha = q1..q18, beta = q19..q36.
# One warm-up call, then REPS timed calls. Reading the file is timed separately, so the
# scoring figures cover scoring only.
# Writes the alpha and beta averages of the last repetition to OUT.bin (column-major
# doubles) and, if COUNTS_OUT.bin is given, also times one run with count.responses = TRUE
# and writes the numbers of answered items there.
# Prints "key value" lines for the Python side to parse.

suppressPackageStartupMessages(library(psych))

args <- commandArgs(trailingOnly = TRUE)
data_path <- args[1]
n_rows <- as.integer(args[2])
out_path <- args[3]
reps <- as.integer(args[4])
counts_path <- if (length(args) >= 5) args[5] else NA
n_items <- 36L

cat("r_version", paste(R.version$major, R.version$minor, sep = "."), "\n")
cat("psych_version", as.character(packageVersion("psych")), "\n")
cat("mc_cores", getOption("mc.cores", 2L), "\n")  # scoreFast runs one scale per forked worker (mcmapply)

t_read <- system.time({
  con <- file(data_path, "rb")
  values <- readBin(con, what = "double", n = n_rows * n_items, size = 8, endian = "little")
  close(con)
  # numpy's NaN reads as NaN; psych tests with is.na(), which is TRUE for NaN as well as NA.
  items <- matrix(values, nrow = n_rows, ncol = n_items)
  rm(values)
  colnames(items) <- paste0("q", seq_len(n_items))
})[["elapsed"]]
cat("read_seconds", t_read, "\n")

item_names <- colnames(items)
keyed <- ifelse(seq_len(n_items) %% 3 == 0, paste0("-", item_names), item_names)
keys <- make.keys(items, list(alpha = keyed[1:18], beta = keyed[19:36]))

# The toolkit's rule: the average of the answered items, reverse keys as (min + max) - x on
# the 1..5 scale. scoreFast with totals = FALSE and impute = "none" averages the answered
# items (rowMeans(na.rm = TRUE)); min/max are given so they are not taken from the data.
run <- function(count) {
  scoreFast(keys, items, totals = FALSE, impute = "none", min = 1, max = 5,
            count.responses = count)
}

# A warm-up call, as on the Python side (the first call pays for fresh memory); reported, not ranked.
t_warm <- system.time(scores <- run(FALSE))[["elapsed"]]
cat("warmup_seconds", t_warm, "\n")
rm(scores); invisible(gc())
times <- numeric(reps)
for (r in seq_len(reps)) {
  times[r] <- system.time(scores <- run(FALSE))[["elapsed"]]
}
cat("score_seconds", times, "\n")

con <- file(out_path, "wb")
writeBin(as.vector(unclass(scores)[, c("alpha-A", "beta-A")]), con, size = 8, endian = "little")
close(con)

if (!is.na(counts_path)) {
  rm(scores); invisible(gc())
  t_counts <- system.time(res <- run(TRUE))[["elapsed"]]
  cat("score_counts_seconds", t_counts, "\n")
  con <- file(counts_path, "wb")
  writeBin(as.vector(res$responses[, c("alpha-A", "beta-A")]), con, size = 8, endian = "little")
  close(con)
}
