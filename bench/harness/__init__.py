"""Pieces the benchmarks share: servers in their own processes, load generators in
others, process sampling, the machine's description and the results' table and plot."""
