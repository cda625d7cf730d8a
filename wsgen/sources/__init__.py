"""The app's event handlers on the tool side: checks, schedules, AWS-shaped events."""
