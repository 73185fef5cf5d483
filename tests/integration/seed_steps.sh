#!/bin/sh
# The seed's upgrade guide, steps 7 to 10, as written — with an admin key in the
# Authorization header where the guide's own examples left it out.
# Needs BASE (http://127.0.0.1:PORT) and ADMIN_KEY; prints the new client key last.
set -eu

post() {  # post PATH KEY JSON → body; fails on a non-2xx status
    curl -sS --fail-with-body -X POST "$BASE$1" -H "Authorization: Bearer $2" \
        -H "Content-Type: application/json" -d "$3"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

# 步骤 7: a new admin key, then the default one (id 1) deleted with it.
NEW_ADMIN=$(post /admin/api-keys "$ADMIN_KEY" '{
    "name": "我的管理员密钥",
    "is_admin": true,
    "requests_per_minute": 100
  }' | field key)
curl -sS --fail-with-body -X DELETE "$BASE/admin/api-keys/1" -H "Authorization: Bearer $NEW_ADMIN" >/dev/null

# 步骤 8: an account from the v1 environment values.
post /admin/accounts "$NEW_ADMIN" '{
    "name": "主账号",
    "refresh_token": "your_refresh_token_from_env",
    "client_id": "your_client_id_from_env",
    "client_secret": "your_client_secret_from_env",
    "profile_arn": "arn:aws:codewhisperer:us-east-1:123456789012:profile/SEED",
    "requests_per_minute": 10
  }' >/dev/null

# 步骤 9: a key for clients.
CLIENT_KEY=$(post /admin/api-keys "$NEW_ADMIN" '{
    "name": "默认密钥",
    "description": "用于生产环境",
    "requests_per_minute": 60,
    "requests_per_day": 10000
  }' | field key)

# 步骤 10: a client call with it.
curl -sS --fail-with-body -X POST "$BASE/v1/messages" \
  -H "Authorization: Bearer $CLIENT_KEY" \
  -H "Content-Type: application/json" \
  -d '{"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "Hello"}]}' >/dev/null
echo "$CLIENT_KEY"
