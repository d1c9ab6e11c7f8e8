#include "app/demo.h"

#include <random>

#include "app/demo_cities.h"
#include "app/keys.h"
#include "base/json_writer.h"

namespace orderhub::app {
namespace {

constexpr char kDemoLanes[] = R"({"lanes":[
  {"origin":"DC-GZ","destination":"35","carrier":"SF","level":"express","via":["G15","44"],
   "rate":{"first_weight_g":1000,"first_weight":1200,"additional_per_kg":500},"transit":{"mean_hours":26,"sd_hours":5}},
  {"origin":"DC-SZ","destination":"45","carrier":"JD","level":"express","via":["G75","G72"],
   "rate":{"first_weight_g":1000,"first_weight":1100,"additional_per_kg":450},"transit":{"mean_hours":24,"sd_hours":4}},
  {"origin":"DC-SH","destination":"33","carrier":"ZTO","level":"standard","via":["G60"],
   "rate":{"first_weight_g":1000,"first_weight":500,"additional_per_kg":200},"transit":{"mean_hours":20,"sd_hours":4}}
],
"transfers":[
  {"from":"DC-SH","to":"WH-04","hours":8,"cost_per_order":200,"cost_per_unit":10},
  {"from":"DC-SH","to":"WH-05","hours":8,"cost_per_order":200,"cost_per_unit":10},
  {"from":"DC-SH","to":"WH-06","hours":6,"cost_per_order":150,"cost_per_unit":10},
  {"from":"DC-BJ","to":"WH-11","hours":5,"cost_per_order":150,"cost_per_unit":8}
]})";

std::string Code(const char* prefix, int i, int width) {
  std::string n = std::to_string(i);
  return prefix + std::string(static_cast<size_t>(std::max(0, width - static_cast<int>(n.size()))), '0') + n;
}

}  // namespace

Status SeedDemo(Hub& hub) {
  OH_RETURN_IF_ERROR(PutKey(hub.store(), kDemoKey, kDemoTenant, "admin", 0));
  if (hub.engine().FindNode(kDemoTenant, "DC-BJ") != nullptr) return Status::OK();
  std::mt19937_64 rng(20261111);
  RequestPipeline p(hub, kDemoKey);
  const int n_cities = static_cast<int>(std::size(kDemoCities));
  std::vector<std::string> nodes;
  for (int i = 0; i < n_cities; ++i) {
    const DemoCity& c = kDemoCities[i];
    // Four distribution centres, a 3PL, stores in the big cities, warehouses elsewhere.
    std::string code, type;
    if (i < 4) {
      static const char* kDc[] = {"DC-BJ", "DC-SH", "DC-GZ", "DC-SZ"};
      code = kDc[i];
      type = "dc";
    } else if (i == n_cities - 1) {
      code = "3PL-URC";
      type = "3pl";
    } else if (i >= 24) {
      code = Code("ST-", i, 2);
      type = "store";
    } else {
      code = Code("WH-", i, 2);
      type = "warehouse";
    }
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Field("name", std::string(c.name) + (type == "store" ? "门店" : "仓")).Field("type", type);
    w.Field("region_code", c.code).Key("lat").Double(c.lat).Key("lng").Double(c.lng);
    w.Key("capabilities").BeginArray();
    if (type == "dc") w.String("cold_chain").String("hazardous");
    if (type == "3pl") w.String("cross_border");
    w.EndArray();
    // What routing weighs: a day's capacity, handling cost (fen), last pickup, reliability.
    struct Profile {
      int64_t orders, per_order, per_line;
      const char* cutoff;
      double on_time;
    };
    const Profile profile = type == "dc"      ? Profile{20000, 120, 20, "20:00", 0.98}
                            : type == "3pl"   ? Profile{5000, 180, 30, "17:00", 0.95}
                            : type == "store" ? Profile{300, 300, 50, "16:00", 0.92}
                                              : Profile{8000, 150, 25, "18:00", 0.97};
    w.Field("capacity_orders", profile.orders).Field("capacity_lines", profile.orders * 3);
    w.Field("cost_per_order", profile.per_order).Field("cost_per_line", profile.per_line);
    w.Field("cutoff", profile.cutoff).Key("on_time_rate").Double(profile.on_time);
    w.EndObject();
    p.Send("PUT", "/v1/nodes/" + code, body);
    nodes.push_back(code);
  }
  static const char* kKinds[] = {"保温杯", "蓝牙耳机", "运动鞋", "羽绒服", "面霜", "咖啡豆", "空气炸锅", "机械键盘",
                                 "婴儿奶粉", "电动牙刷"};
  for (int i = 1; i <= 500; ++i) {
    std::string body;
    JsonWriter w(&body);
    static const int64_t kWeights[] = {400, 150, 900, 1200, 100, 500, 4500, 1100, 900, 200};  // grams, by kind
    w.BeginObject().Field("name", std::string(kKinds[i % 10]) + " #" + std::to_string(i));
    w.Field("weight_g", kWeights[i % 10]);
    if (i <= 5) w.Key("channel_pause_below").BeginObject().Field("douyin", int64_t{20}).EndObject();
    w.EndObject();
    const std::string sku = Code("SKU-", i, 4);
    p.Send("PUT", "/v1/skus/" + sku, body);
    // Each sku at six nodes, including one DC.
    for (int k = 0; k < 6; ++k) {
      const std::string& node = k == 0 ? nodes[i % 4] : nodes[rng() % nodes.size()];
      p.Send("PUT", "/v1/inventory/" + sku + "/" + node,
             "{\"on_hand\":" + std::to_string(20 + rng() % 200) + ",\"safety_stock\":2,\"reason\":\"demo stock\"}");
    }
  }
  // Contracted express lanes from the southern DCs, over named expressways:
  // closing a road (POST /v1/routing/disruptions {"close":"G15"}) closes them.
  // Daily shuttles from the DCs to warehouses nearby (Hangzhou, Nanjing,
  // Suzhou, Tianjin) let those ship lines they lack in one parcel.
  p.Send("PUT", "/v1/routing/lanes", std::string(kDemoLanes));
  OH_RETURN_IF_ERROR(p.Wait());

  static const char* kChannels[] = {"tmall", "jd", "douyin", "pinduoduo", "wechat", "pos", "b2b", "shopify"};
  std::vector<std::string> order_ids(300);
  std::mutex ids_mu;
  for (int i = 0; i < 300; ++i) {
    const DemoCity& dest = kDemoCities[rng() % n_cities];
    std::string body;
    JsonWriter w(&body);
    const char* channel = kChannels[i % 8];
    w.BeginObject().Field("channel", channel).Field("channel_order_id", Code("DEMO-", i + 1, 6));
    w.Field("customer_id", Code("C", static_cast<int>(rng() % 120) + 1, 5)).Field("currency", "CNY");
    w.Field("order_type", std::string(channel) == "b2b" ? "b2b" : "standard").Field("paid", true);
    w.Key("lines").BeginArray();
    const int n_lines = 1 + static_cast<int>(rng() % 3);
    for (int l = 0; l < n_lines; ++l) {
      w.BeginObject().Field("sku", Code("SKU-", static_cast<int>(rng() % 500) + 1, 4));
      w.Field("quantity", 1 + static_cast<int>(rng() % 2)).Field("unit_price", 1990 + static_cast<int>(rng() % 50000));
      w.EndObject();
    }
    w.EndArray();
    w.Key("ship_to").BeginObject().Field("country", "CN").Field("region_code", dest.code);
    w.Field("address", std::string(dest.name) + "示例路" + std::to_string(1 + rng() % 200) + "号");
    w.Field("name", "张三").Field("phone", "13800138000").EndObject();
    w.Key("attributes").BeginObject().Field("campaign", i % 3 == 0 ? "double11" : "daily").EndObject();
    w.EndObject();
    p.Send("POST", "/v1/orders", body, [&, i](const writer::Reply& r) {
      const size_t at = r.body.find("\"id\":\"");
      if (r.status == 201 && at != std::string::npos) {
        std::lock_guard<std::mutex> lock(ids_mu);
        order_ids[i] = r.body.substr(at + 6, 26);
      }
    });
  }
  OH_RETURN_IF_ERROR(p.Wait());

  // Walk orders along their lifecycle to a spread of states.
  static const char* kStandardPath[] = {"confirm", "allocate", "release_to_warehouse", "pick", "ship", "deliver", "close"};
  static const char* kB2bPath[] = {"submit_for_review", "approve_credit", "allocate", "release_to_warehouse", "pick",
                                   "ship", "deliver", "close"};
  for (int i = 0; i < 300; ++i) {
    const bool b2b = std::string(kChannels[i % 8]) == "b2b";
    const int steps = static_cast<int>(rng() % (b2b ? 9 : 8));
    for (int s = 0; s < steps; ++s) {
      std::string body = std::string("{\"event\":\"") + (b2b ? kB2bPath[s] : kStandardPath[s]) + "\"";
      if (std::string(b2b ? kB2bPath[s] : kStandardPath[s]) == "ship") {
        body += ",\"carrier\":\"SF\",\"tracking_number\":\"" + Code("SF", i, 10) + "\"";
      }
      body += "}";
      p.Send("POST", "/v1/orders/" + order_ids[i] + "/events", body);
    }
    if (steps == 0 && i % 5 == 0) p.Send("POST", "/v1/orders/" + order_ids[i] + "/cancel", "{\"reason\":\"customer changed mind\"}");
  }
  return p.Wait();
}

}  // namespace orderhub::app
