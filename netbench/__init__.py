"""Live-cluster tools: the CPU-to-drive-10-Gbps benchmark, its report, and `verify`.

Run as `python -m netbench <bench|report|verify>`. Pure helpers live in `_*.py` beside the
commands; everything that talks to a cluster goes through `cluster.ClusterOps`.
"""
