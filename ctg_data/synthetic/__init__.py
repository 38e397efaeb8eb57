"""National synthetic data (`ctg demo-data`): deterministic for a seed, written in bulk."""

from ctg_data.synthetic.generate import PASSWORD, DemoDataRefused, convention_count, generate

__all__ = ["PASSWORD", "DemoDataRefused", "convention_count", "generate"]
