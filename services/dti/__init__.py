"""The yearly DTI ranking (chỉ số chuyển đổi số) of a province's agencies: the rules that turn a
score into a percentage, a level and a rank (rules), importing the decision's tables (importer),
and reading the rankings back (rankings)."""
