#include "objects/object_id_set.h"

#include <boost/test/unit_test.hpp>
#include <random>
#include <set>
#include <vector>

namespace strata {
namespace {

ObjectId RandomId(std::mt19937_64& rng) {
  ObjectId id;
  for (unsigned char& b : id.bytes) b = static_cast<unsigned char>(rng());
  return id;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(object_id_set)

// Against std::set over enough ids to grow the table many times: every id
// inserted once is found, a second insert says so, and ids never inserted
// are not found.
BOOST_AUTO_TEST_CASE(agrees_with_a_set_through_growth) {
  std::mt19937_64 rng(7);
  ObjectIdSet set;
  std::set<ObjectId> model;
  std::vector<ObjectId> ids;
  for (int i = 0; i < 50000; ++i) {
    const ObjectId id = RandomId(rng);
    ids.push_back(id);
    BOOST_REQUIRE(set.insert(id) == model.insert(id).second);
    if (i % 7 == 0) BOOST_REQUIRE(!set.insert(ids[i / 2]));  // again: not new
  }
  BOOST_TEST(set.size() == model.size());
  for (const ObjectId& id : ids) BOOST_REQUIRE(set.contains(id));
  for (int i = 0; i < 10000; ++i) BOOST_REQUIRE(!set.contains(RandomId(rng)));
}

// Ids alike in their first eight bytes (the hash) all land in one run of
// slots: each is still told apart by its other bytes.
BOOST_AUTO_TEST_CASE(ids_sharing_their_hash_bytes_are_told_apart) {
  ObjectIdSet set;
  std::vector<ObjectId> ids(300);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ids[i].bytes[0] = 0xab;
    ids[i].bytes[19] = static_cast<unsigned char>(i);
    ids[i].bytes[18] = static_cast<unsigned char>(i >> 8);
    BOOST_REQUIRE(set.insert(ids[i]));
  }
  for (const ObjectId& id : ids) BOOST_REQUIRE(set.contains(id));
  ObjectId other = ids[0];
  other.bytes[10] = 1;
  BOOST_TEST(!set.contains(other));
  BOOST_TEST(set.size() == ids.size());
}

// The zero id marks an empty slot, so it is kept apart: an empty set does
// not hold it, and once inserted it is held like any other.
BOOST_AUTO_TEST_CASE(the_zero_id_is_an_id_like_any_other) {
  ObjectIdSet set;
  const ObjectId zero;
  BOOST_TEST(!set.contains(zero));
  BOOST_TEST(set.size() == 0u);
  BOOST_TEST(set.insert(zero));
  BOOST_TEST(!set.insert(zero));
  BOOST_TEST(set.contains(zero));
  BOOST_TEST(set.size() == 1u);
  set.reserve(5000);
  BOOST_TEST(set.contains(zero));
  ObjectId one;
  one.bytes[19] = 1;
  BOOST_TEST(!set.contains(one));
  BOOST_TEST(set.insert(one));
  BOOST_TEST(set.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
