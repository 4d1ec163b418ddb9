print("telemetry-gateway: not wired yet")
