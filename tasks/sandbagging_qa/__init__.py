"""The capability-test sandbagging family (Apollo Research A.6, B.6; anti-scheming M.1)."""
