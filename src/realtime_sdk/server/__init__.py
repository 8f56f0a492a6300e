"""What every protocol's server side shares: the server's config, who may connect (API keys,
`ek_` keys, refusals), HTTP errors shaped like the service's, bounded body reads, and the
playground page. The app that mounts the protocols' routes is `realtime_sdk.app`."""
