"""The demo as scenarios, each a module that writes only through the services (so the demo has its
audit trail and notifications) and returns what the next one builds on:

1. `parties`    — the IP office, the regulator, two banks, a park, six enterprises, a valuation
                  agency, an insurer and a guarantor, with their logins;
2. `register`   — the real patents from ../shared/data (one real applicant given an account) and
                  generated rights in every legal state the pre-checks must catch;
3. `pledges`    — pledge applications in every state, two registered half a year ago;
4. `valuations` — the agency's three approaches, a recheck that flags a report, a bank's own;
5. `catalogue`  — credit profiles, the banks', insurer's and guarantor's products, the policies;
6. `lending`    — a loan in each stage, demands with their feedback ledger, a subsidy claim, the
                  regulator's supervision case on bank A;
7. `whitelist`  — an imported list, a batch pushed to bank A, a draft, a bank's recommendation;
8. `risk`       — a court's preservation of one of bank A's pledged patents, and the daily
                  early-warning scan as of today.

Dates are relative to today (`History`), so the states stay true whenever the demo is loaded.
Tests build their worlds from the same scenarios (the tenancy sweep, the demo tests).
"""
