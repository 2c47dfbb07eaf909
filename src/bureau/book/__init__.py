"""A synthetic book of business at scale, for benchmarks: `bureau generate-book`."""
