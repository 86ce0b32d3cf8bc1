"""Custom classification dimensions (issue 9): rules as JSON data over the run's metrics, the
customer's attributes, its tags and its built-in classes.

  schema.py    the fields a rule may use, validation with messages naming the condition,
               compilation into a small tree
  evaluate.py  vectorised evaluation (one boolean mask per rule), the per-row reference
               evaluator, and the run's per-partition step
  reasons.py   the reason of a class in the reader's language
  services.py  versions (new draft, activate, retire), preview of a draft
  selectors.py the customer page, list filter, export columns, labels

Segmentation's lower layers (customers) are read; nothing here imports strategies."""
