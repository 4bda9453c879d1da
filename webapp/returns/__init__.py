"""Returns and exchanges (退换货): logged by customer service, received at the dock."""
