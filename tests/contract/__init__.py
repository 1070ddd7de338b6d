"""The connector contract: one suite every tool's connector must pass (see test_contract.py)."""
