"""Rules and actions (issue 17): a rule's query matched against each new story (pure:
``match``), the deliveries it makes sent from the outbox (``deliver``, ``actions``)."""
