//! The test harness itself: a test that fails still removes its database and stream.

use chronid_tests::TestEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_test_leaves_no_database_or_stream_behind() {
    let env = TestEnv::new().await.unwrap();
    let (db, stream) = (env.db_name.clone(), env.stream.stream.clone());
    // A test body that panics while it holds its environment.
    let failed = tokio::spawn(async move {
        let _env = env;
        panic!("the test under test fails");
    })
    .await;
    assert!(failed.is_err());

    let observer = TestEnv::new().await.unwrap();
    let databases: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&db)
        .fetch_one(&observer.pool)
        .await
        .unwrap();
    assert_eq!(databases, 0, "database {db} is left behind");
    assert!(
        observer.js.get_stream(&stream).await.is_err(),
        "stream {stream} is left behind"
    );
    observer.cleanup().await.unwrap();
}
