set terminal pngcairo size 1000,600
set output '/work/main/runs/compare/val_loss.png'
set datafile separator ','
set key top right
set grid
set xlabel 'step'
set ylabel 'validation cross-entropy (nats per token)'
set title 'gomhc compare: validation loss per method'
plot '/work/main/runs/compare/val_residual.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 1 title 'residual', '/work/main/runs/compare/val_hc.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 2 title 'hc', '/work/main/runs/compare/val_mhc.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 3 title 'mhc', '/work/main/runs/compare/val_mhc_lite.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 4 title 'mhc-lite', '/work/main/runs/compare/val_kromhc.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 5 title 'kromhc', '/work/main/runs/compare/val_go_s1.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 6 title 'go s=1', '/work/main/runs/compare/val_go_s2.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 7 title 'go s=2', '/work/main/runs/compare/val_go_kron_s2.csv' using 1:2 skip 1 with linespoints lw 2 pt 7 lc 8 title 'go-kron s=2'
