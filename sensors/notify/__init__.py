"""Alert notifications: subscriptions, the outbox → deliveries planner, e-mail and webhooks."""
