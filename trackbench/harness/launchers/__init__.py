"""Launchers: how `trackbench run` hands out the cells of a validated plan. ``local`` without
--parallel runs them in the run's own process (cli/run.py); ``local --parallel N`` and ``ray``
go through one loop (driver.py) over a backend (local.py, ray_cluster.py), with a live table
(board.py), retries of dead workers and a failed.json per failed cell (launch.py)."""
