"""The billing company's own HIPAA business-associate program (45 CFR 164.308, 164.314, 164.316,
164.410): BAAs both ways, incidents and the breach clock, workforce training, policies,
exclusion screening and access reviews — run by the compliance officer, kept as evidence."""
