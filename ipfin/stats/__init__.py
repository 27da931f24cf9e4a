"""统计监测: monitoring figures for regulators, the IP office, banks and parks (issue 15)."""
