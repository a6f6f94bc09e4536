# Bar chart of benchmarks/bench.py's chart.dat: MB/s per case (clusters) and contender (bars).
# usage: gnuplot -e "data='DIR/chart.dat'; out='DIR/chart.png'; title='...'" benchmarks/plot.gp
if (!exists("title")) title = "zpmpi vs xarray+dask vs nccopy"
set terminal pngcairo size 1800,750 font "sans,10"
set output out
set title title noenhanced
set datafile separator "\t"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 scale 0 noenhanced
set key below horizontal noenhanced
set key autotitle columnheader
set grid ytics
set rmargin 12
set logscale y
set yrange [10:*]
set ylabel "MB/s of uncompressed t2m+d2m (log scale, higher is better)"
if (!exists("ncol")) ncol = 8  # case + 7 series (run.sh passes the count)
plot for [i=2:ncol] data using i:xtic(1)
