-- wrk script: POST /order with a realistic mix (limit/market/ioc/fok) near 30000 on BTC-USDT.
-- Usage: wrk -t2 -c32 -d20s -s scripts/wrk/orders.lua http://127.0.0.1:5000
math.randomseed(42)
local types = {"limit", "limit", "limit", "limit", "limit", "limit", "limit", "market", "ioc", "fok"}
request = function()
  local side = (math.random() < 0.5) and "buy" or "sell"
  local t = types[math.random(#types)]
  local qty = string.format("%.3f", math.random(1, 1000) / 1000)
  local body
  if t == "market" then
    body = string.format('{"symbol":"BTC-USDT","side":"%s","order_type":"market","quantity":"%s"}', side, qty)
  else
    local price = string.format("%.2f", math.random(2970000, 3030000) / 100)
    body = string.format('{"symbol":"BTC-USDT","side":"%s","order_type":"%s","quantity":"%s","price":"%s"}', side, t, qty, price)
  end
  return wrk.format("POST", "/order", {["Content-Type"] = "application/json"}, body)
end
